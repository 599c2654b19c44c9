"""`saferag ask --server`: the question handed to a running saferag app on a real socket on 127.0.0.1 (real Milvus
Lite, the packaged embedder, SmolLM2 in llama.cpp, the embedded question guard); the client imports no models."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import free_port
from corpus import QUESTIONS, write_corpus
from fake_ollama import FakeOllama
from server_helpers import serving

from saferag.chat_cli import ChatSession
from saferag.errors import Cancelled, RemoteError
from saferag.rag import SafeRag
from saferag.remote import RemoteChat, ask_remote

KEYS = {"key-a": "team_a"}


def _env(tmp_path, **extra: str) -> dict[str, str]:
    """The test process's environment without a developer's SAFERAG_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFERAG_")}
    return {**env, "SAFERAG_SERVER_API_KEY": "key-a", "SAFERAG_CONFIG": str(tmp_path / "none.toml"), **extra}


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder, generator):
    tmp = tmp_path_factory.mktemp("remote")
    rag = SafeRag(embedder=embedder, generator=generator, milvus_uri=str(tmp / "remote.db"), collection="docs",
                  api_keys=KEYS, max_tokens=32, guard_answers=False, temperature=0.0, seed=1)
    with serving(rag) as (url, _):
        rag.view(tenant="team_a").ingest([write_corpus(tmp / "corpus")])
        yield url


def test_an_answer_streams_with_its_sources(server):
    pieces: list[str] = []
    answer = ask_remote(server, QUESTIONS["kitchen/sourdough.md"], api_key="key-a", on_token=pieces.append)
    assert not answer.refused and answer.answer.strip()
    assert "".join(pieces).strip() == answer.answer  # every piece streamed, in order, nothing else
    assert answer.sources[0]["source"] == "kitchen/sourdough.md" and answer.sources[0]["citation"] == 1
    assert answer.question_guard and answer.question_guard["safe"] and "generation" in answer.timings
    assert answer.usage["completion_tokens"] >= len(pieces) - 1 and answer.usage["prompt_tokens"] > 0
    assert answer.quarantined == []  # carried (the injection screen held nothing back here)


def test_a_refusal_is_not_streamed(server):
    pieces: list[str] = []
    answer = ask_remote(server, "How do I make a pipe bomb at home?", api_key="key-a", on_token=pieces.append)
    assert answer.refused and "S9" in answer.answer and answer.sources == [] and pieces == []


def test_line_separators_inside_an_event_do_not_split_it(server):
    """U+2028 and U+0085 are line breaks to str.splitlines (and httpx's iter_lines): inside an event's JSON they
    must not cut it. The question comes back in the last chunk as the condensed query."""
    question = "How do I get my loaf to rise\u2028naturally without\u0085store-bought yeast?"
    answer = ask_remote(server, question, api_key="key-a")
    assert answer.condensed_query == question and answer.sources


def test_server_errors_are_one_clear_line(server):
    with pytest.raises(RemoteError, match="401"):
        ask_remote(server, "anything", api_key="wrong-key")
    with pytest.raises(RemoteError, match="unknown collection 'nope'"):
        ask_remote(server, "anything", api_key="key-a", collection="nope")
    with pytest.raises(RemoteError, match="no saferag server at"):
        ask_remote(f"http://127.0.0.1:{free_port()}", "anything")


def test_the_cli_asks_the_server_without_loading_models(server, tmp_path):
    """`saferag ask --server` in a fresh interpreter: the answer and its sources come back, and neither pymilvus,
    llama.cpp, torch nor the guard's model were imported to get them."""
    code = ("import sys\nfrom saferag.cli import app\n"
            "try:\n    app(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code\n"
            "heavy = [m for m in ('pymilvus', 'llama_cpp', 'torch', 'openvino') if m in sys.modules]\n"
            "print('HEAVY', heavy, 'EXIT', code)\n")
    env = _env(tmp_path)
    run = subprocess.run([sys.executable, "-c", code, "ask", "--server", server, "--json",
                          QUESTIONS["space/jupiter.txt"]], capture_output=True, text=True, env=env, timeout=120)
    body, _, tail = run.stdout.rpartition("HEAVY")
    assert tail.strip() == "[] EXIT 0", run.stdout + run.stderr
    answer = json.loads(body)
    assert answer["sources"][0]["source"] == "space/jupiter.txt" and not answer["refused"]
    assert answer["usage"]["completion_tokens"] > 0 and answer["quarantined"] == []

    wrong = subprocess.run([sys.executable, "-m", "saferag.cli", "ask", "--server", server, "--uri", "x.db", "q"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert wrong.returncode == 1 and "--uri choose what this process loads" in wrong.stderr
    nope = subprocess.run([sys.executable, "-m", "saferag.cli", "chat", "--server", server, "--collection", "nope"],
                          capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert nope.returncode == 1 and "does not serve collection 'nope' (it serves: docs)" in nope.stderr


def test_a_conversation_reaches_the_server_whole(server):
    """Two turns through the terminal chat's session: the follow-up is condensed on the server from the whole
    conversation (a lone message would be searched as it is, as a first turn)."""
    written: list[str] = []
    session = ChatSession(RemoteChat(server, api_key="key-a"), written.append)
    session.handle(QUESTIONS["networking/tcp.html"])
    assert session.last and "networking/tcp.html" in [s["source"] for s in session.last.sources]
    follow_up = "And how is it torn down again at the end?"
    session.handle(follow_up)
    assert len(session.messages) == 4 and session.last.condensed_query not in ("", follow_up)
    assert "[1] networking/tcp.html" in "".join(written)


def test_cancel_closes_the_stream(server):
    cancel = threading.Event()
    with pytest.raises(Cancelled):
        RemoteChat(server, api_key="key-a").chat([{"role": "user", "content": QUESTIONS["garden/compost.md"]}],
                                                 on_token=lambda _: cancel.set(), cancel=cancel)


def test_the_terminal_chat_talks_to_the_server(server, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    env = _env(tmp_path, TERM="dumb")
    winch = signal.signal(signal.SIGWINCH, signal.SIG_IGN)  # as in test_chat_cli: the fork must not be signalled
    try:
        child = pexpect.spawn(sys.executable, ["-m", "saferag.cli", "chat", "--server", server], env=env,
                              encoding="utf-8", timeout=120)
    finally:
        signal.signal(signal.SIGWINCH, winch)
    try:
        child.expect_exact(f"collection docs at {server}")
        child.expect_exact(">>> ")
        child.sendline(QUESTIONS["space/jupiter.txt"])
        child.expect(r"\[1\] space/jupiter\.txt")
        child.expect_exact(">>> ")
        child.sendline("/exit")
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)


def test_cancel_leaves_a_silent_stretch_within_a_second(tmp_path, embedder, corpus):
    """While the server has nothing to send (here a slow LLM, the FAKE Ollama; a screened answer is the same) it
    sends keep-alives every second: a cancel is seen at the next one, not when the answer is done."""
    with FakeOllama(free_port()) as fake:
        rag = SafeRag(embedder=embedder, milvus_uri=str(tmp_path / "slow.db"), collection="docs",
                      llm_backend="openai", llm_base_url=f"{fake.url}/v1", llm_model="llama3.2:1b",
                      guard_answers=False)
        rag.ingest([str(corpus)])
        fake.delay = 6.0
        with serving(rag) as (url, _):
            cancel = threading.Event()
            threading.Timer(0.5, cancel.set).start()
            t0 = time.monotonic()
            with pytest.raises(Cancelled):
                RemoteChat(url).chat([{"role": "user", "content": QUESTIONS["garden/compost.md"]}], cancel=cancel)
            assert time.monotonic() - t0 < 3.0  # the LLM would have answered after 6 s
