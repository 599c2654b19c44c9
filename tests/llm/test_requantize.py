"""A packaged GGUF requantized once into the cache (llm/requantize.py), with the real llama.cpp quantizer: the small
packaged SmolLM2 (Q4_1) stands in for the default model, whose Q4_0 form is the same call on a larger file."""

import struct

import pytest
from pydantic import ValidationError

from saferag.config import Settings
from saferag.errors import GeneratorError
from saferag.llm import SamplingParams
from saferag.llm.llamacpp import LlamaCppGenerator
from saferag.llm.packaged import DEFAULT_MODEL, PACKAGED, packaged_path
from saferag.llm.requantize import requantized

GGUF_Q4_0 = 2  # general.file_type of a "mostly Q4_0" file (llama.cpp's LLAMA_FTYPE_MOSTLY_Q4_0)


def file_type(path) -> int:
    """general.file_type as llama.cpp itself reads it from the file's header."""
    import llama_cpp

    llm = llama_cpp.Llama(model_path=str(path), n_ctx=64, vocab_only=True, verbose=False)
    return int(llm.metadata["general.file_type"])


def test_requantizes_once_and_reuses_the_file(tmp_path):
    source = packaged_path("smollm2-135m")
    first = requantized(source, "q4_0", tmp_path)
    assert first.parent == tmp_path and first.is_file()
    assert file_type(source) != GGUF_Q4_0 and file_type(first) == GGUF_Q4_0
    assert not list(tmp_path.glob("*.partial"))  # written beside its place, then renamed
    inode, written = first.stat().st_ino, first.stat().st_mtime_ns
    again = requantized(source, "q4_0", tmp_path)
    assert again == first and again.stat().st_ino == inode  # reused, not written again
    assert again.stat().st_mtime_ns >= written  # marked as used, so the cache keeps it


def test_the_generator_loads_and_answers_from_the_requantized_file(tmp_path):
    gen = LlamaCppGenerator("smollm2-135m", quant="q4_0", cache=str(tmp_path), context_window=512)
    assert gen.name == "SmolLM2-135M-Instruct (Q4_0 GGUF, requantized)"
    answer = gen.generate([{"role": "user", "content": "Say hello."}], SamplingParams(max_tokens=8, temperature=0))
    assert answer.strip()
    shipped = LlamaCppGenerator("smollm2-135m", quant="shipped", cache=str(tmp_path), context_window=512)
    assert shipped.name == PACKAGED["smollm2-135m"].title
    # "auto" keeps a packaged model as shipped unless a faster type was judged for it
    assert PACKAGED["smollm2-135m"].cpu_quant == ""
    assert LlamaCppGenerator("smollm2-135m", cache=str(tmp_path), context_window=512).name == shipped.name


def test_a_gguf_file_named_by_path_loads_as_it_is(tmp_path):
    path = packaged_path("smollm2-135m")
    gen = LlamaCppGenerator(str(path), quant="q4_0", cache=str(tmp_path), context_window=512)
    assert gen.name == path.name and not list(tmp_path.glob("*.gguf"))


def test_a_file_llama_cpp_cannot_read_is_a_clear_error_and_leaves_nothing(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + struct.pack("<I", 3) + b"\0" * 64)  # a header and nothing behind it
    cache = tmp_path / "cache"
    with pytest.raises(GeneratorError, match="could not requantize broken.gguf to q4_0"):
        requantized(bad, "q4_0", cache)
    assert not list(cache.iterdir())
    with pytest.raises(GeneratorError, match="unknown llm_quant 'q3_k'"):
        requantized(bad, "q3_k", cache)


def test_the_setting_reaches_the_generator_and_is_checked():
    assert Settings().llm_settings.quant == "auto"
    assert Settings(llm_quant="shipped").llm_settings.quant == "shipped"
    with pytest.raises(ValidationError):
        Settings(llm_quant="q8_0")
    assert PACKAGED[DEFAULT_MODEL].cpu_quant == ""  # rule A2 (benchmarks/answer_rules.md) has not decided Q4_0
