"""The `openai` backend against a real OpenAI-compatible server: llama.cpp's, on 127.0.0.1.

`python -m llama_cpp.server` speaks the same /v1/chat/completions protocol as `vllm serve`.
"""

from __future__ import annotations

import socket
import time

import pytest
from conftest import free_port

from saferag.config import load_settings
from saferag.errors import GeneratorError
from saferag.llm import SamplingParams, load_generator
from saferag.llm.openai_compat import OpenAIGenerator

GREEDY = SamplingParams(temperature=0.0, max_tokens=24, seed=1)
MESSAGES = [{"role": "user", "content": "Name the largest planet in the solar system."}]


def test_plain_and_streaming_agree(llm_server):
    gen = load_generator(load_settings(llm_backend="openai", llm_base_url=llm_server, llm_model="smollm2"))
    assert isinstance(gen, OpenAIGenerator)
    text = gen.generate(MESSAGES, GREEDY)
    pieces = list(gen.stream(MESSAGES, GREEDY))
    assert text.strip() and len(pieces) > 1 and "".join(pieces) == text


def test_many_prompts_at_once(llm_server):
    gen = OpenAIGenerator(llm_server, model="smollm2")
    out = gen.generate_many([MESSAGES, [{"role": "user", "content": "Say hello."}]], GREEDY)
    assert len(out) == 2 and all(o.strip() for o in out)


def test_server_down_is_a_clear_error():
    gen = OpenAIGenerator(f"http://127.0.0.1:{free_port()}/v1", model="m", max_retries=1, timeout=5)
    with pytest.raises(GeneratorError, match=r"cannot reach the LLM server at http://127\.0\.0\.1:\d+/v1"):
        gen.generate(MESSAGES, GREEDY)
    with pytest.raises(GeneratorError, match="cannot reach"):
        list(gen.stream(MESSAGES, GREEDY))


def test_a_slow_answer_times_out(llm_server):
    gen = OpenAIGenerator(llm_server, model="smollm2", timeout=0.05, max_retries=0)
    with pytest.raises(GeneratorError, match=r"did not answer within 0\.05s"):
        gen.generate(MESSAGES, SamplingParams(temperature=0.0, max_tokens=400))


def test_a_silent_server_times_out():
    """A socket that accepts and never answers: the timeout, not a hang."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        gen = OpenAIGenerator(f"http://127.0.0.1:{s.getsockname()[1]}/v1", model="m", timeout=0.5, max_retries=0)
        t0 = time.monotonic()
        with pytest.raises(GeneratorError, match="did not answer within 0.5s"):
            gen.generate(MESSAGES, GREEDY)
        assert time.monotonic() - t0 < 5


def test_ask_through_the_openai_backend(make_rag, corpus, llm_server):
    from corpus import QUESTIONS

    rag = make_rag(llm_backend="openai", llm_base_url=llm_server, llm_model="smollm2", temperature=0.0,
                   max_tokens=64, seed=1)
    rag.ingest([str(corpus)])
    pieces: list[str] = []
    a = rag.ask(QUESTIONS["space/jupiter.txt"], k=2, on_token=pieces.append)
    assert a.answer and "".join(pieces).strip() == a.answer
    assert a.sources[0]["source"] == "space/jupiter.txt"
