"""The in-process `vllm` backend: a clear error where it cannot run, and a real run where it can.

The end-to-end test needs vllm, a CUDA GPU and the model's weights; it is skipped elsewhere.
Set SAFERAG_TEST_VLLM_MODEL to a model name or folder on such a machine (default: a small
instruct model from the Hugging Face hub).
"""

from __future__ import annotations

import os

import pytest

from saferag.config import load_settings
from saferag.errors import GeneratorError
from saferag.llm import SamplingParams, load_generator
from saferag.llm.vllm_local import missing_requirements

MISSING = missing_requirements()
MODEL = os.environ.get("SAFERAG_TEST_VLLM_MODEL", "Qwen/Qwen2.5-0.5B-Instruct")


@pytest.mark.skipif(not MISSING, reason="vllm and a GPU are present")
def test_missing_vllm_or_gpu_is_named():
    with pytest.raises(GeneratorError) as err:
        load_generator(load_settings(llm_backend="vllm"))
    message = str(err.value)
    for need in MISSING:
        assert need in message
    assert "vllm serve" in message  # and it says what to do instead


def test_vllm_is_not_imported_unless_chosen():
    import subprocess
    import sys

    code = ("import sys, saferag.rag, saferag.llm; from saferag.config import load_settings; "
            "saferag.llm.load_generator(load_settings(llm_backend='ollama')); "
            "print('vllm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(bool(MISSING), reason=f"needs {' and '.join(MISSING)}")
def test_vllm_end_to_end(make_rag, corpus):
    settings = load_settings(llm_backend="vllm", llm_model=MODEL, vllm_max_model_len=4096,
                             vllm_gpu_memory_utilization=0.5, vllm_enforce_eager=True, seed=1)
    gen = load_generator(settings)
    greedy = SamplingParams(temperature=0.0, max_tokens=16, seed=1)
    one = gen.generate([{"role": "user", "content": "Name the largest planet."}], greedy)
    assert "jupiter" in one.lower()
    prompts = [[{"role": "user", "content": f"Repeat the number {n} and nothing else."}] for n in (17, 42, 93)]
    many = gen.generate_many(prompts, greedy)
    assert [str(n) in text for n, text in zip((17, 42, 93), many, strict=True)] == [True] * 3
    assert 5 < gen.count_tokens(prompts[0]) < 60
    rag = make_rag(generator=gen)
    rag.ingest([corpus])
    answer = rag.ask("How do I get my loaf to rise naturally without store-bought yeast?", k=3)
    assert answer.answer.strip() and answer.sources
