"""The `ollama` backend, and the `openai` backend's path to Ollama's `/v1`.

No Ollama server can run here, so these tests talk to a FAKE Ollama (tests/fake_ollama.py)
that speaks the documented request/response shapes over a real socket on 127.0.0.1. They check
what saferag sends and how it reads answers and errors, not a model's output.
"""

from __future__ import annotations

import pytest
from conftest import free_port
from fake_ollama import FakeOllama, fake_answer

from saferag.config import load_settings
from saferag.errors import GeneratorError
from saferag.llm import SamplingParams, load_generator
from saferag.llm.ollama import OllamaGenerator
from saferag.llm.openai_compat import OpenAIGenerator

MESSAGES = [{"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Which port does Ollama listen on by default?"}]
PARAMS = SamplingParams(temperature=0.1, top_p=0.9, max_tokens=77, repeat_penalty=1.2, seed=7)


@pytest.fixture
def fake_ollama():
    with FakeOllama(free_port()) as server:
        yield server


def _ollama(url: str, **overrides) -> OllamaGenerator:
    gen = load_generator(load_settings(llm_backend="ollama", llm_base_url=url, llm_model="llama3.2:1b",
                                       **overrides))
    assert isinstance(gen, OllamaGenerator)
    return gen


def test_generate_sends_the_documented_request(fake_ollama):
    gen = _ollama(fake_ollama.url, llm_context_window=3072)
    assert gen.generate(MESSAGES, PARAMS) == "".join(fake_answer(MESSAGES))
    path, body = fake_ollama.requests[-1]
    assert path == "/api/chat"
    assert body["model"] == "llama3.2:1b" and body["messages"] == MESSAGES and body["stream"] is False
    # num_ctx is always sent: Ollama would otherwise cut a long prompt silently at its own default.
    assert body["options"] == {"temperature": 0.1, "top_p": 0.9, "num_predict": 77, "repeat_penalty": 1.2,
                               "num_ctx": 3072, "seed": 7}


def test_stream_yields_the_pieces_in_order(fake_ollama):
    gen = _ollama(fake_ollama.url)
    pieces = list(gen.stream(MESSAGES, PARAMS))
    assert pieces == fake_answer(MESSAGES)
    assert fake_ollama.requests[-1][1]["stream"] is True


def test_generate_many_answers_each_prompt_in_order(fake_ollama):
    gen = _ollama(fake_ollama.url)
    prompts = [[{"role": "user", "content": f"question number {i}"}] for i in range(5)]
    assert gen.generate_many(prompts) == ["".join(fake_answer(p)) for p in prompts]


def test_model_not_pulled_says_how_to_pull_it(fake_ollama):
    gen = OllamaGenerator("mistral:7b", host=fake_ollama.url)
    with pytest.raises(GeneratorError, match=r"ollama pull mistral:7b"):
        gen.generate(MESSAGES)
    with pytest.raises(GeneratorError, match=r"ollama pull mistral:7b"):
        list(gen.stream(MESSAGES))


def test_server_down_is_a_clear_error():
    gen = OllamaGenerator(host=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(GeneratorError, match="cannot reach Ollama"):
        gen.generate(MESSAGES)
    with pytest.raises(GeneratorError, match="cannot reach Ollama"):
        list(gen.stream(MESSAGES))


def test_timeout_is_a_clear_error(fake_ollama):
    fake_ollama.delay = 2.0
    gen = OllamaGenerator(host=fake_ollama.url, timeout=0.5)
    with pytest.raises(GeneratorError, match=r"did not answer within 0.5s"):
        gen.generate(MESSAGES)


def test_error_in_the_middle_of_a_stream_is_raised(fake_ollama):
    fake_ollama.fail_mid_stream = True
    gen = _ollama(fake_ollama.url)
    got = []
    with pytest.raises(GeneratorError, match="error was encountered while running the model"):
        for piece in gen.stream(MESSAGES):
            got.append(piece)
    assert got == fake_answer(MESSAGES)[:1]


def test_openai_backend_reaches_ollama_v1(fake_ollama):
    gen = load_generator(load_settings(llm_backend="openai", llm_base_url=f"{fake_ollama.url}/v1",
                                       llm_model="llama3.2:1b"))
    assert isinstance(gen, OpenAIGenerator)
    assert gen.generate(MESSAGES, PARAMS) == "".join(fake_answer(MESSAGES))
    path, body = fake_ollama.requests[-1]
    assert path == "/v1/chat/completions"
    assert body["messages"] == MESSAGES and body["max_tokens"] == 77 and body["seed"] == 7
    assert list(gen.stream(MESSAGES)) == fake_answer(MESSAGES)
    assert fake_ollama.requests[-1][1]["stream"] is True


def test_openai_backend_model_not_found_on_ollama_v1(fake_ollama):
    gen = OpenAIGenerator(f"{fake_ollama.url}/v1", model="nope:1b", max_retries=0)
    with pytest.raises(GeneratorError, match=r"model 'nope:1b' not found"):
        gen.generate(MESSAGES)


def test_ask_over_ollama_sends_the_retrieved_passages(fake_ollama, make_rag, corpus):
    # guard off: this is about transport; the fake's quoted-prompt "answer" is not a real one to screen
    rag = make_rag(llm_backend="ollama", llm_base_url=fake_ollama.url, llm_model="llama3.2:1b", guard="off")
    rag.ingest([corpus])
    answer = rag.ask("How do sourdough starters make bread rise?", k=2)
    assert answer.answer.startswith("Fake Ollama answer"), answer
    assert len(answer.sources) == 2
    sent = fake_ollama.requests[-1][1]["messages"]
    prompt = "\n".join(m["content"] for m in sent)
    for source in answer.sources:  # every passage the answer cites was in the prompt Ollama got
        assert source["text"][:80] in prompt


def test_errors_name_the_settings_the_model_was_built_from(fake_ollama):
    """A Llama Guard's model comes from the guard_* settings: its errors must not send the user to llm_*."""
    fake_ollama.delay = 2.0
    settings = load_settings(llm_backend="ollama", llm_base_url=fake_ollama.url, llm_timeout=0.5, guard="llama_guard",
                             guard_base_url=fake_ollama.url, guard_model="llama3.2:1b", guard_timeout=0.5)
    with pytest.raises(GeneratorError, match=r"within 0\.5s \(SAFERAG_LLM_TIMEOUT\)"):
        load_generator(settings.llm_settings).generate(MESSAGES)
    with pytest.raises(GeneratorError, match=r"within 0\.5s \(SAFERAG_GUARD_TIMEOUT\)"):
        load_generator(settings.guard_settings.generator).generate(MESSAGES)
    down = settings.model_copy(update={"guard_base_url": f"http://127.0.0.1:{free_port()}"})
    with pytest.raises(GeneratorError, match=r"\(SAFERAG_GUARD_BASE_URL\)"):
        load_generator(down.guard_settings.generator).generate(MESSAGES)
