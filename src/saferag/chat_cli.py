"""``saferag chat``: an interactive chat with a collection in the terminal, in the manner of ``ollama run``.

Each answer is followed by its sources; the conversation is kept, so follow-ups work. ``/sources`` shows the
last answer's passages, ``/reset`` starts over, ``/exit`` (or Ctrl-D) leaves, and Ctrl-C stops the answer being
generated without leaving. The answer runs in a worker thread so that Ctrl-C reaches the prompt at once and
stops generation at its next token.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

from saferag.answering import Answer
from saferag.errors import Cancelled, SafeRagError
from saferag.ingest.headings import SEPARATOR

HELP = "/sources: the last answer's passages · /reset: new conversation · /exit or Ctrl-D: leave · Ctrl-C: stop"


class ChatSession:
    """One terminal conversation over ``rag``; ``write`` prints (without a newline of its own)."""

    def __init__(self, rag: Any, write: Callable[[str], None]) -> None:
        self.rag, self.write = rag, write
        self.messages: list[dict[str, str]] = []
        self.last: Answer | None = None

    def handle(self, line: str) -> bool:
        """Act on one line typed at the prompt; False when the user leaves."""
        text = line.strip()
        if not text:
            return True
        if text in ("/exit", "/quit", "/bye"):
            return False
        if text == "/reset":
            self.messages, self.last = [], None
            self.write("(new conversation)\n")
        elif text == "/sources":
            self.show_passages()
        elif text in ("/help", "/?"):
            self.write(HELP + "\n")
        elif text.startswith("/"):
            self.write(f"unknown command {text.split()[0]}; {HELP}\n")
        else:
            self.ask(text)
        return True

    def ask(self, question: str) -> None:
        """Answer in a worker thread; Ctrl-C (KeyboardInterrupt here) stops it at the next token."""
        cancel = threading.Event()
        streamed: list[str] = []
        result: dict[str, Any] = {}
        screened = self.rag.settings.guard != "off" and self.rag.settings.guard_answers

        def on_token(piece: str) -> None:
            if not screened:  # a screened answer arrives whole, once it passed
                streamed.append(piece)
                self.write(piece)

        done = threading.Event()

        def work() -> None:
            try:
                result["answer"] = self.rag.chat([*self.messages, {"role": "user", "content": question}],
                                                 on_token=on_token, cancel=cancel)
            except Cancelled:
                result["cancelled"] = True
            except SafeRagError as exc:
                result["error"] = exc
            finally:
                done.set()

        # Waited for on an Event, not Thread.join: in CPython 3.11 a join interrupted by Ctrl-C can mark the
        # still-running thread as stopped (it releases the thread's own state lock), so the chat went on, and on
        # /exit the interpreter tore down llama.cpp under a decode still running: SIGSEGV at exit.
        worker = threading.Thread(target=work, name="saferag-chat", daemon=True)
        try:
            worker.start()
            while not done.wait(0.1):
                pass
        except KeyboardInterrupt:
            cancel.set()
            _wait_through_interrupts(done)
        if "answer" not in result:
            self.write(f"\nerror: {result['error']}\n" if "error" in result else "\n(stopped)\n")
            return
        answer: Answer = result["answer"]
        self.last = answer
        if not streamed or answer.refused:
            self.write(answer.answer)
        self.write("\n")
        if not answer.refused:
            self.messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
            self.show_sources()
        elif answer.guard:
            self.write(f"  (refused by the {answer.guard['role']} check: the conversation continues)\n")

    def show_sources(self) -> None:
        if self.last is None or not self.last.sources:
            return
        seen: list[str] = []
        for s in sorted(self.last.sources, key=lambda s: s["citation"]):
            line = f"[{s['citation']}] {s['link']}"
            if line not in seen:
                seen.append(line)
        self.write("  " + "  ".join(seen) + "\n")

    def show_passages(self) -> None:
        if self.last is None or not self.last.sources:
            self.write("(no sources yet)\n")
            return
        for s in self.last.sources:
            where = SEPARATOR.join([s["link"], *s["headings"]])
            self.write(f"[{s['citation']}] {where}\n    {' '.join(s['text'].split())[:400]}\n")


def _wait_through_interrupts(done: threading.Event) -> None:
    """Wait until the cancelled answer has stopped (the next token), whatever further Ctrl-Cs arrive."""
    while True:
        try:
            done.wait()
            return
        except KeyboardInterrupt:
            continue


def _ctrl_c_interrupts() -> None:
    """Make Ctrl-C raise KeyboardInterrupt here even if the process that started us ignored or blocked SIGINT
    (nohup, some job runners and test harnesses do; both are inherited across exec, and Python then never raises
    it, so Ctrl-C could not stop an answer). A shell starting a job with ``&`` outside job control does it: a test
    run started that way lost the chat test's Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        return
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.default_int_handler)


def run(rag: Any, *, write: Callable[[str], None], read: Callable[[str], str] = input) -> None:
    """The read-answer loop; returns when the user leaves (``/exit`` or Ctrl-D)."""
    _ctrl_c_interrupts()
    try:
        import readline  # noqa: F401 - line editing and history with the arrow keys, where the platform has it
    except ImportError:  # pragma: no cover - Windows
        pass
    session = ChatSession(rag, write)
    write(f"saferag chat · collection {rag.settings.collection} · {HELP}\n")
    while True:
        try:
            line = read(">>> ")
        except EOFError:
            write("\n")
            return
        except KeyboardInterrupt:
            write("\n")
            continue
        try:
            if not session.handle(line):
                return
        except KeyboardInterrupt:  # between two steps of an answer: it is dropped, the chat goes on
            write("\n(stopped)\n")
