"""saferag adds no global lock: concurrent asks overlap their waits on the LLM server.

The LLM server here is the FAKE Ollama (tests/fake_ollama.py) on 127.0.0.1 through its
OpenAI-compatible /v1, made to take a fixed time per answer, so an ask's wall time is
dominated by waiting; a lock anywhere on the ask path would serialize those waits.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from conftest import free_port
from fake_ollama import FakeOllama

N, DELAY = 16, 1.0  # more asks than guard pool threads (8): no thread may wait on another


def test_concurrent_asks_overlap(make_rag, corpus):
    with FakeOllama(free_port()) as server:
        rag = make_rag(llm_backend="openai", llm_base_url=f"{server.url}/v1", llm_model="llama3.2:1b",
                       # the question guard stays on; the fake's quoted-prompt "answers" are not real ones
                       # to screen (the embedded guard flags some of them)
                       guard_answers=False,
                       user_prompt="{question}\n\n{context}\n\n{sources}")  # the fake quotes the question
        rag.ingest([corpus])
        rag.ask("warm up the embedder and the collection")
        server.delay = DELAY
        questions = [f"Question {i}: how do sourdough starters rise?" for i in range(N)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=N) as pool:
            answers = list(pool.map(rag.ask, questions))
        wall = time.perf_counter() - t0
    # each answer belongs to its own question (no crossed wires between threads)
    for q, a in zip(questions, answers, strict=True):
        assert a.answer.endswith(" ".join(q.split()[:6])), (q, a.answer)
    print(f"{N} concurrent asks: {wall:.2f}s")
    # serialized, the waits alone would take N * DELAY = 16 s
    assert wall < N * DELAY / 2.5, f"{N} concurrent asks took {wall:.1f}s: something serializes them"
