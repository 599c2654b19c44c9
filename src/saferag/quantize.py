"""An embedder's OpenVINO IR quantized to int8 by NNCF, once per machine: ``embed_precision = "int8"``.

Measured on a 2-core AMD EPYC Zen 4 VM (AVX512-VNNI and -BF16, no AMX; docs/benchmarks.md): static int8 ingests
1.3–1.6x faster than OpenVINO's bfloat16 with the packaged MiniLM, but moves retrieval a little (SQLite MRR
-0.020, git hit@5 -0.022; PostgreSQL unchanged), more than the 0.01 the default's choice allowed, so it is a
choice and not the default. On AVX2 alone (no VNNI) int8 was slower than float32.

Static quantization needs activation ranges: they come from a fixed set of passages shipped with saferag
(``data/int8_calibration.json``: saferag's own docs, chunked as ingest embeds them; written by
``scripts/make_int8_calibration.py``), so every machine makes the same model from the same data. NNCF does the
quantizing (a well-kept library; the ``int8`` extra); this module only feeds it and caches what it writes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from saferag.cache import written_whole
from saferag.compiled import _openvino, core, digest, versions
from saferag.errors import QuantizationError

__all__ = ["NATIVE_BF16_FLAGS", "calibration_texts", "cpu_flags", "features_of", "int8_model"]

#: CPU flags of hardware bfloat16 matrix math: AMX tiles (Intel Sapphire Rapids and later) or AVX512-BF16 (AMD Zen 4
#: and later, Intel Cooper Lake); the embedder's and the guard's ``auto`` precision read them.
NATIVE_BF16_FLAGS = frozenset({"amx_bf16", "amx_tile", "avx512_bf16"})

# The embedder's batch on 2 cores when int8 was calibrated and measured (it now sends 4 at a time by default, on
# streams); kept, so the quantized model stays the one measured. Calibration sees these shapes.
_BATCH = 16

log = logging.getLogger("saferag.embed")

Tokenize = Callable[[Sequence[str]], dict[str, np.ndarray]]


def cpu_flags() -> set[str]:
    """The kernel's CPU flags (empty where /proc/cpuinfo does not exist)."""
    cpuinfo = Path("/proc/cpuinfo")
    return set(cpuinfo.read_text().split()) if cpuinfo.is_file() else set()


def calibration_texts() -> list[str]:
    """The shipped calibration passages."""
    texts = json.loads(files("saferag").joinpath("data/int8_calibration.json").read_text(encoding="utf-8"))
    return [str(t) for t in texts]


def int8_model(xml: Path, tokenize: Tokenize) -> Path:
    """The int8 form of the float IR at ``xml``: quantized once (tens of seconds on 2 cores) and kept beside it,
    keyed on NNCF's version and the calibration passages. Raises ``QuantizationError`` when NNCF is missing or
    fails (nothing half-written is left)."""
    texts = calibration_texts()
    out = xml.with_name(f"{xml.stem}-int8-{digest(*versions('nncf', 'openvino'), *texts)}.xml")
    if out.is_file():
        return out
    ov = _openvino()  # first: it blocks the telemetry package, so NNCF's telemetry is its no-op stub too
    try:
        import nncf
    except ImportError:
        raise QuantizationError("embed_precision = int8 needs NNCF (pip install 'saferag[int8]'); or choose "
                                "bfloat16 or float32") from None
    model = core().read_model(str(xml))
    names = [i.get_any_name() for i in model.inputs]
    batches = [tokenize(texts[i:i + _BATCH]) for i in range(0, len(texts), _BATCH)]
    log.info("quantizing the embedder to int8, once on this machine (about a minute on 2 cores)")
    try:
        with written_whole(out, companions=[".bin"]) as partial:
            with contextlib.redirect_stdout(sys.stderr):  # NNCF's progress bars: stdout may be a command's JSON
                quantized = nncf.quantize(model, nncf.Dataset(batches, lambda f: {k: f[k] for k in names}),
                                          model_type=nncf.ModelType.TRANSFORMER, subset_size=len(batches))
            ov.save_model(quantized, str(partial), compress_to_fp16=False)
    except Exception as exc:  # NNCF and OpenVINO raise many types
        raise QuantizationError(f"could not quantize {xml.parent.name} to int8: {exc}") from None
    for old in xml.parent.glob(f"{xml.stem}-int8-*"):  # an earlier NNCF's or calibration's model
        if not old.name.startswith(out.stem):
            old.unlink(missing_ok=True)
    return out


def features_of(tokenize: Any) -> Tokenize:
    """A tokenizer returning torch tensors, as one returning numpy arrays (for NNCF)."""
    return lambda texts: {k: v.numpy() for k, v in tokenize(list(texts)).items()}
