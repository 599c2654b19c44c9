"""`saferag chat` driven through a real pseudo-terminal (pexpect), as a user types at it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from corpus import QUESTIONS
from test_cli import SAFERAG, run

pexpect = pytest.importorskip("pexpect")


def _sigint_ignored_and_blocked() -> None:
    """A parent that ignores and blocks SIGINT (nohup, some job runners): both are inherited across exec."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def _default_sigwinch() -> None:
    signal.signal(signal.SIGWINCH, signal.SIG_DFL)  # `saferag chat` starts as it would from a shell


def _both(*fns):
    return lambda: [fn() for fn in fns]


@pytest.fixture
def chat(corpus, tmp_path, request):
    db = ["--uri", str(tmp_path / "chat.db"), "--collection", "notes"]
    run("ingest", str(corpus), *db, cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFERAG_")}
    env |= {"SAFERAG_MAX_TOKENS": "48", "SAFERAG_TEMPERATURE": "0", "SAFERAG_SEED": "1", "TERM": "dumb",
            "SAFERAG_GUARD_ANSWERS": "false"}  # unscreened: tokens stream, and Ctrl-C can stop them
    parent = _sigint_ignored_and_blocked if getattr(request, "param", "") == "sigint ignored" else None
    # The forked copy of this test process sets the new terminal's size before it execs, which signals it
    # (SIGWINCH); after the compiled guard had run in this process, that copy died of SIGSEGV there, before
    # `saferag chat` started (pexpect forks in Python). Ignored while forking; the chat itself is resized below.
    winch = signal.signal(signal.SIGWINCH, signal.SIG_IGN)
    try:
        child = pexpect.spawn(SAFERAG, ["chat", *db], cwd=str(tmp_path), env=env, encoding="utf-8", timeout=180,
                              preexec_fn=_default_sigwinch if parent is None else _both(parent, _default_sigwinch))
    finally:
        signal.signal(signal.SIGWINCH, winch)
    child.logfile_read = sys.stdout  # shown when a test fails
    child.expect_exact(">>> ")
    yield child
    if child.isalive():
        child.terminate(force=True)


@pytest.mark.slow
def test_a_conversation_with_sources_commands_and_a_clean_exit(chat):
    chat.sendline(QUESTIONS["networking/tcp.html"])
    chat.expect(r"\[1\] networking/tcp\.html")  # the sources line after the answer
    chat.expect_exact(">>> ")
    chat.setwinsize(40, 120)  # the terminal is resized (SIGWINCH): the chat goes on
    chat.sendline("And how is it torn down again at the end?")
    chat.expect(r"\[\d\] networking/tcp\.html")  # the follow-up stays on the conversation's page
    chat.expect_exact(">>> ")
    chat.sendline("/sources")
    chat.expect(r"\[1\] networking/tcp\.html.*\n\s+\S")  # the passage text under its source
    chat.expect_exact(">>> ")
    chat.sendline("/reset")
    chat.expect_exact("(new conversation)")
    chat.expect_exact(">>> ")
    chat.sendline("/nonsense")
    chat.expect_exact("unknown command /nonsense")
    chat.expect_exact(">>> ")
    chat.sendeof()  # Ctrl-D leaves
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0


@pytest.mark.slow
@pytest.mark.parametrize("chat", ["sigint as usual", "sigint ignored"], indirect=True)
def test_ctrl_c_stops_the_answer_but_not_the_chat(chat):
    chat.sendline("Write a very long and detailed essay about every topic in these documents.")
    chat.expect_exact("in these documents.")  # the line as typed (echoed)
    chat.expect(r"\w")  # the answer has started streaming
    chat.kill(signal.SIGINT)
    chat.expect_exact("(stopped)")
    chat.expect_exact(">>> ")
    chat.sendline("/exit")
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0


# Run in a fresh interpreter: a real SIGINT is sent to its main thread, which the test process (with Ray, OpenVINO
# and llama.cpp loaded by earlier tests, some with signal handlers of their own) should not receive.
_SLOW_TO_STOP = """
import signal, threading, time
from types import SimpleNamespace
from saferag.chat_cli import ChatSession
from saferag.errors import Cancelled

class SlowToStopRag:  # a stand-in for SafeRag: streams until cancelled, then takes 0.5 s to reach its next token
    settings = SimpleNamespace(guard="off", guard_answers=False)
    def __init__(self):
        self.started, self.finished = threading.Event(), threading.Event()
    def chat(self, messages, *, on_token, cancel):
        self.started.set()
        try:
            while not cancel.wait(0.01):
                on_token(".")
            time.sleep(0.5)
            raise Cancelled("stopped")
        finally:
            self.finished.set()

rag, out = SlowToStopRag(), []
main = threading.main_thread().ident
def ctrl_c():
    rag.started.wait(10)
    time.sleep(0.2)
    signal.pthread_kill(main, signal.SIGINT)
signal.signal(signal.SIGINT, signal.default_int_handler)
threading.Thread(target=ctrl_c, daemon=True).start()
session = ChatSession(rag, out.append)
session.ask("Write a long essay.")
print("finished", rag.finished.is_set(), "stopped", "(stopped)" in "".join(out), "kept", session.messages)
"""


def test_ctrl_c_waits_for_the_answer_to_stop_before_the_prompt_returns():
    """CPython 3.11's Thread.join, interrupted by Ctrl-C, marks the running thread as stopped: the chat waited on
    it that way, came back to the prompt while generation ran on, and /exit then tore llama.cpp down under a
    running decode (SIGSEGV at exit). The answer must have stopped when ``ask`` returns."""
    done = subprocess.run([sys.executable, "-c", _SLOW_TO_STOP], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("finished True stopped True kept []"), done.stdout + done.stderr
