"""A packaged GGUF requantized once per machine into the type llama.cpp's CPU kernels run fastest.

The default model ships as Q4_K_M; llama.cpp repacks Q4_0 weights into its fastest AVX2 and AVX-512 kernels, so
the same model in Q4_0 reads prompts 1.3-1.5x as fast and writes 1.2-1.3x as fast on 2 cores (docs/benchmarks.md).
Its answers are judged by rule A2 (benchmarks/answer_rules.md) before it can be a default (``PackagedModel.cpu_quant``);
until then it is a choice, ``llm_quant = "q4_0"``. No wheel ships that file, so llama.cpp's own
quantizer writes it into the cache on first use (about 6 s for the 0.5B model), beside its place and renamed when
done, so nothing half-written is ever loaded.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

from saferag.cache import record_use, written_whole
from saferag.errors import GeneratorError

#: What ``llm_quant`` may name, and llama.cpp's file type for it. Only types measured on answers are offered.
QUANT_TYPES = {"q4_0": "LLAMA_FTYPE_MOSTLY_Q4_0"}


def requantized(source: Path, quant: str, cache: Path, *, threads: int = 0) -> Path:
    """``source`` requantized to ``quant`` (a key of ``QUANT_TYPES``) in ``cache``: written the first time, reused
    after. Raises ``GeneratorError`` when llama.cpp cannot write it; nothing is left behind then."""
    if quant not in QUANT_TYPES:
        raise GeneratorError(f"unknown llm_quant {quant!r}: use 'auto', 'shipped' or one of {', '.join(QUANT_TYPES)}")
    import llama_cpp
    from llama_cpp._utils import suppress_stdout_stderr  # the quantizer logs every tensor to the C streams

    # the quantizer's version is in the name: a new llama.cpp writes a new entry, and the old one is pruned unused
    target = cache / f"{source.stem}-{quant}-llamacpp{llama_cpp.__version__}.gguf"
    if target.is_file():
        record_use(cache, target)
        return target
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, QUANT_TYPES[quant])
    params.allow_requantize = True  # the source is itself quantized: that is the point
    params.nthread = threads
    try:
        with written_whole(target) as partial:
            with suppress_stdout_stderr(disable=False):
                status = llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(),
                                                        ctypes.byref(params))
            if status != 0 or not partial.is_file():
                raise GeneratorError(f"llama.cpp could not requantize {source.name} to {quant} (status {status}); "
                                     "set SAFERAG_LLM_QUANT=shipped to load the file as shipped")
    except OSError as exc:
        raise GeneratorError(f"cannot write the {quant} copy of {source.name} to {cache}: "
                             f"{exc.strerror or exc}") from None
    record_use(cache, target, new=True)
    return target
