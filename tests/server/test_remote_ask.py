"""`saferag ask --server`: the question handed to a running saferag app on a real socket on 127.0.0.1 (real Milvus
Lite, the packaged embedder, SmolLM2 in llama.cpp, the embedded question guard); the client imports no models."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import pytest
from conftest import free_port
from corpus import QUESTIONS, write_corpus
from server_helpers import serving

from saferag.chat_cli import ChatSession
from saferag.errors import Cancelled, RemoteError
from saferag.rag import SafeRag
from saferag.remote import RemoteChat, ask_remote

KEYS = {"key-a": "team_a"}


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


def test_a_refusal_is_not_streamed(server):
    pieces: list[str] = []
    answer = ask_remote(server, "How do I make a pipe bomb at home?", api_key="key-a", on_token=pieces.append)
    assert answer.refused and "S9" in answer.answer and answer.sources == [] and pieces == []


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
    env = {**os.environ, "SAFERAG_SERVER_API_KEY": "key-a", "SAFERAG_CONFIG": str(tmp_path / "none.toml")}
    run = subprocess.run([sys.executable, "-c", code, "ask", "--server", server, "--json",
                          QUESTIONS["space/jupiter.txt"]], capture_output=True, text=True, env=env, timeout=120)
    body, _, tail = run.stdout.rpartition("HEAVY")
    assert tail.strip() == "[] EXIT 0", run.stdout + run.stderr
    answer = json.loads(body)
    assert answer["sources"][0]["source"] == "space/jupiter.txt" and not answer["refused"]

    wrong = subprocess.run([sys.executable, "-m", "saferag.cli", "ask", "--server", server, "--uri", "x.db", "q"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert wrong.returncode == 1 and "--uri choose what this process loads" in wrong.stderr


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
    env = {**os.environ, "SAFERAG_SERVER_API_KEY": "key-a", "SAFERAG_CONFIG": str(tmp_path / "none.toml"),
           "TERM": "dumb"}
    winch = signal.signal(signal.SIGWINCH, signal.SIG_IGN)  # as in test_chat_cli: the fork must not be signalled
    try:
        child = pexpect.spawn(sys.executable, ["-m", "saferag.cli", "chat", "--server", server], env=env,
                              encoding="utf-8", timeout=120)
    finally:
        signal.signal(signal.SIGWINCH, winch)
    try:
        child.expect_exact(f"collection default at {server}")
        child.expect_exact(">>> ")
        child.sendline(QUESTIONS["space/jupiter.txt"])
        child.expect(r"\[1\] space/jupiter\.txt")
        child.expect_exact(">>> ")
        child.sendline("/exit")
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)
