"""saferag adds no global lock: concurrent asks overlap their waits on the LLM server.

The LLM server here is the FAKE Ollama (tests/fake_ollama.py) on 127.0.0.1 through its
OpenAI-compatible /v1, made to hold every request until all the asks are in flight at once: a lock
anywhere on the ask path would let only one through at a time. Counted at the server, not timed, so a
busy machine cannot make it flaky.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from conftest import free_port
from fake_ollama import FakeOllama

N = 16  # more asks than guard pool threads (8): no thread may wait on another


def test_concurrent_asks_overlap(make_rag, corpus):
    with FakeOllama(free_port()) as server:
        rag = make_rag(llm_backend="openai", llm_base_url=f"{server.url}/v1", llm_model="llama3.2:1b",
                       # the question guard stays on; the fake's quoted-prompt "answers" are not real ones
                       # to screen (the embedded guard flags some of them)
                       guard_answers=False,
                       user_prompt="{question}\n\n{context}\n\n{sources}")  # the fake quotes the question
        rag.ingest([corpus])
        rag.ask("warm up the embedder and the collection")
        server.hold_until = N  # each request waits at the server until all N are there (30 s at most)
        questions = [f"Question {i}: how do sourdough starters rise?" for i in range(N)]
        with ThreadPoolExecutor(max_workers=N) as pool:
            answers = list(pool.map(rag.ask, questions))
    # each answer belongs to its own question (no crossed wires between threads)
    for q, a in zip(questions, answers, strict=True):
        assert a.answer.endswith(" ".join(q.split()[:6])), (q, a.answer)
    # serialized, only one ask at a time would reach the server
    assert server.max_in_flight == N, (f"at most {server.max_in_flight} of {N} concurrent asks reached the LLM "
                                       "server at once: something serializes them")
