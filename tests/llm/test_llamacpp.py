"""The embedded llama.cpp backend with the packaged SmolLM2-135M-Instruct GGUF."""

import pytest

from saferag.config import load_settings
from saferag.errors import GeneratorError
from saferag.llm import SamplingParams, load_generator

GREEDY = SamplingParams(temperature=0.0, max_tokens=24, seed=1)
MESSAGES = [{"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Name the largest planet in the solar system."}]


def test_generate_and_stream_agree_under_greedy_sampling(generator):
    text = generator.generate(MESSAGES, GREEDY)
    pieces = list(generator.stream(MESSAGES, GREEDY))
    assert text.strip() and len(pieces) > 1
    assert "".join(pieces) == text


def test_generate_many_and_token_counts(generator):
    out = generator.generate_many([MESSAGES, MESSAGES[:1] + [{"role": "user", "content": "Say hi."}]], GREEDY)
    assert len(out) == 2 and all(o.strip() for o in out)
    short = generator.count_tokens([{"role": "user", "content": "hi"}])
    assert generator.count_tokens([{"role": "user", "content": "hi " * 100}]) > short + 90
    assert generator.context_window == 4096


def test_missing_model_and_unknown_backend_are_clear_errors(tmp_path):
    with pytest.raises(GeneratorError, match="GGUF model not found: .*nope.gguf"):
        load_generator(load_settings(llm_model=str(tmp_path / "nope.gguf")))
    with pytest.raises(GeneratorError, match="unknown LLM backend 'gpt5'"):
        load_generator(load_settings(llm_backend="gpt5"))
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf file at all")
    with pytest.raises(GeneratorError, match="could not load"):
        load_generator(load_settings(llm_model=str(bad)))


def test_prompt_longer_than_the_context_window_is_a_clear_error(generator):
    too_long = [{"role": "user", "content": "lorem ipsum dolor sit amet " * 1500}]
    assert generator.count_tokens(too_long) > generator.context_window
    with pytest.raises(GeneratorError, match=r"too long for the model's context window.*SAFERAG_LLM_CONTEXT_WINDOW"):
        generator.generate(too_long)
    with pytest.raises(GeneratorError, match="too long for the model's context window"):
        list(generator.stream(too_long))
    # the model still answers after the refusal (the lock was released)
    assert generator.generate([{"role": "user", "content": "Say hi."}]).strip()


def test_decodes_on_every_physical_core_unless_told_otherwise(generator):
    """llama-cpp-python alone decodes on half the logical CPUs, leaving half of a VM without SMT idle."""
    import os

    import psutil

    from saferag.llm.llamacpp import LlamaCppGenerator, default_threads

    usable = len(os.sched_getaffinity(0))
    smt = (psutil.cpu_count() or 1) // (psutil.cpu_count(logical=False) or 1)
    assert default_threads() == max(1, usable // smt)
    assert generator._llm.n_threads == default_threads()
    assert LlamaCppGenerator("smollm2-135m", threads=1)._llm.n_threads == 1


def test_a_build_for_features_this_cpu_lacks_is_named_before_it_can_crash():
    """scripts/install.sh builds llama.cpp per CPU class; a copied venv on an older CPU would die with SIGILL."""
    import llama_cpp

    from saferag.llm.llamacpp import missing_cpu_features
    from saferag.quantize import cpu_flags

    flags = cpu_flags()
    installed = llama_cpp.llama_print_system_info().decode()
    assert "AVX2 = 1" in installed  # install.sh builds at least AVX2 on every machine we use
    assert missing_cpu_features(installed, flags) == []  # the build this machine made runs here
    avx512 = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 | "
    assert missing_cpu_features(avx512, {"avx", "avx2"}) == ["AVX512", "AVX512_VNNI", "AMX_INT8"]
    assert missing_cpu_features(avx512, {"avx", "avx2", "avx512f", "avx512_vnni", "amx_int8"}) == []
    assert missing_cpu_features("CPU : AVX2 = 0 | ", set()) == []


@pytest.mark.parametrize(("flags", "cls", "wanted", "unwanted"), [
    ("avx avx2 fma f16c bmi2 avx512f avx512cd avx512bw avx512dq avx512vl avx512vbmi avx512_vnni avx512_bf16 amx_int8 "
     "amx_tile amx_bf16", "avx512-vbmi-vnni-bf16", ["-DGGML_AVX512=ON", "-DGGML_AVX512_BF16=ON"], ["AMX_INT8=ON"]),
    ("avx avx2 fma f16c bmi2 avx512f avx512cd avx512bw avx512dq avx512vl avx512_vnni", "avx512-vnni",
     ["-DGGML_AVX512_VNNI=ON", "-DGGML_AVX512_BF16=OFF"], ["AVX512_BF16=ON"]),
    ("avx avx2 fma f16c bmi2", "avx2", ["-DGGML_AVX2=ON", "-DGGML_AVX512=OFF"], ["AVX512=ON"]),
    ("sse4_2 avx", "sse", ["-DGGML_AVX2=OFF", "-DGGML_AVX=OFF"], ["AVX2=ON"]),
])
def test_the_install_builds_llama_cpp_for_the_cpu_class_it_runs_on(flags, cls, wanted, unwanted):
    """scripts/llama_cpp_wheel.sh picks the build flags from the CPU's flags (never AMX: SIGILL on our VMs)."""
    import os
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "llama_cpp_wheel.sh"
    env = {k: v for k, v in os.environ.items() if k != "CMAKE_ARGS"} | {"SAFERAG_CPU_FLAGS": flags}
    out = subprocess.run([str(script), "--dry-run"], env=env, capture_output=True, text=True, check=True).stdout
    got_class, _, args = out.strip().partition(": ")
    assert got_class == cls
    assert all(w in args.split() for w in wanted) and not any(u in args for u in unwanted)
