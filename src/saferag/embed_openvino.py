"""The transformer of a sentence-transformers model run by OpenVINO on the CPU: the fast local embedding runtime.

Measured on 2-core VMs (docs/benchmarks.md): OpenVINO runs the packaged MiniLM several times faster than torch
eagerly does, on every CPU class, in float32 and in bfloat16 where the CPU has it natively, with vectors within
cosine 0.9999 of torch float32's. Only the transformer is converted; tokenizing and pooling stay
sentence-transformers' own modules, so any model's pooling (mean, CLS, …) and normalization are kept.

Written by hand because the library route does not fit: sentence-transformers' ``backend="openvino"`` needs
optimum-intel, which downgrades transformers and huggingface-hub and pulls torchvision (which fails to import
beside this torch). The model is converted once per machine with ``openvino.convert_model`` and cached as
OpenVINO IR; conversion runs with OpenVINO's usage telemetry replaced by its own no-op stub: a self-hosted
system sends nothing home.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from saferag.errors import EmbedderError


def openvino_available() -> bool:
    """Whether the OpenVINO runtime can be imported here."""
    try:
        _openvino()
    except ImportError:
        return False
    return True


def _openvino():
    # Blocks the telemetry package (None in sys.modules makes its import fail), so that OpenVINO's converter
    # falls back to its bundled stub; the runtime does not use it.
    if "openvino" not in sys.modules:
        sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]
    import openvino

    return openvino


class OpenVINOTransformer:
    """The token-embedding step of a ``SentenceTransformer`` compiled for the CPU; the pooling stays in torch."""

    def __init__(self, st_model: Any, *, precision: str, cache: Path, name: str) -> None:
        ov = _openvino()
        self._st = st_model
        transformer = st_model[0]
        self._inputs: list[str] = []
        xml = cache / "openvino" / _key(name, transformer) / "model.xml"
        core = ov.Core()
        # OpenVINO keeps the compiled model too, so a later start imports it instead of compiling again
        core.set_property({"CACHE_DIR": str(xml.parent / "compiled")})
        try:
            if not xml.is_file():
                _convert(ov, transformer, xml)
            model = core.read_model(str(xml))
            self._inputs = [i.get_any_name() for i in model.inputs]
            hint = "bf16" if precision == "bfloat16" else "f32"
            self._compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": hint})
        except Exception as exc:  # conversion and compilation raise many types; the caller falls back to torch
            raise EmbedderError(f"OpenVINO could not compile {name}: {exc}") from None
        self._request = self._compiled.create_infer_request()
        self._lock = threading.Lock()

    def sentence_embeddings(self, texts: list[str]):
        """One batch of texts → the model's sentence embeddings (a torch tensor, before any normalization)."""
        import torch

        features = _preprocess(self._st)(texts)
        with self._lock:
            out = self._request.infer({k: features[k].numpy() for k in self._inputs})
        features["token_embeddings"] = torch.from_numpy(np.array(out[self._compiled.output(0)]))
        for module in list(self._st)[1:]:  # pooling, normalize, dense: the model's own modules
            features = module(features)
        return features["sentence_embedding"]


def _preprocess(module: Any):
    """Texts → model inputs: ``preprocess`` in sentence-transformers 6 (``tokenize`` before, now deprecated)."""
    return getattr(module, "preprocess", None) or module.tokenize


def _key(name: str, transformer: Any) -> str:
    """A cache key that changes with the model, its config and the converting libraries' versions."""
    config = transformer.auto_model.config.to_json_string()
    parts = [name, config, version("openvino"), version("transformers"), version("torch")]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _convert(ov: Any, transformer: Any, xml: Path) -> None:
    """Trace the Hugging Face model with an example batch and save it as IR (weights as they are, not float16)."""
    import torch

    model = transformer.auto_model.eval()
    example = _preprocess(transformer)(["An example sentence.", "Another, somewhat longer example sentence."])
    inputs = {k: v for k, v in example.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    with torch.no_grad():
        converted = ov.convert_model(model, example_input=inputs)
    xml.parent.mkdir(parents=True, exist_ok=True)
    partial = xml.with_name(f"model.{id(xml)}.partial.xml")
    ov.save_model(converted, str(partial), compress_to_fp16=False)
    partial.with_suffix(".bin").replace(xml.with_suffix(".bin"))
    partial.replace(xml)  # the .xml last: it marks the cache entry whole
