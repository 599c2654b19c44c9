"""The embedded guard's question model compiled by OpenVINO: the same ensemble, scored without torch.

The torch ensemble (``embedded.QuestionModel``) is traced once per machine into one OpenVINO graph (the shared
lower layers, every member's fine-tuned top layers, mean pooling) and cached; later starts read it back and tokenize
with `tokenizers`, so a cold `saferag ask` does not import torch or transformers for its question check (see
``saferag.compiled``). In float32 its scores match the torch model's (tested) and the threshold the model was
calibrated at holds; in bfloat16 (``guard_precision``: the default where the CPU has AMX or AVX512-BF16) a question
is checked in half to two thirds of the time, with the same verdict on 3,891 of 3,892 report prompts on AMX and
on all 4,292 on Zen 4 (docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import shutil
import zipfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from saferag.cache import record_use
from saferag.compiled import ENCODER_INPUTS, CompiledModel, TextTokenizer, convert, digest, openvino_available, versions
from saferag.guard.embedded import EnsembleHeads

log = logging.getLogger("saferag.guard")

#: What the members' probabilities are computed from; the layer weights stay inside the compiled graph.
HEADS = ("bin_w", "bin_b", "cat_w", "cat_b", "cat_codes", "threshold", "members")


def _weights_file(name: str) -> Path:
    return Path(str(resources.files("saferag.guard") / "data" / name))


def _base(cache: Path, weights: str) -> tuple[str, Path]:
    """The name and folder of the encoder these weights were fine-tuned from (``guard.bases``)."""
    from saferag.guard.bases import base_path, named_in

    with np.load(_weights_file(weights)) as w:
        name = named_in(w)
    return name, base_path(name, str(cache))


def weights_fingerprint(path: Path) -> str:
    """What identifies an ``.npz`` file's content in a cache key: each array's name, size and CRC-32, read from the
    zip's directory without loading the arrays (milliseconds for the 150 MB ensemble). Its path and modification
    time did before: every clone, virtual environment and reinstall of the same weights then converted again into an
    entry of its own, 1.9 GB each, and 52 of them filled a 250 GB disk in a month of CI runs (2026-12-06)."""
    with zipfile.ZipFile(path) as npz:
        return digest(*(f"{i.filename}:{i.file_size}:{i.CRC:08x}" for i in npz.infolist()))


def ir_path(cache: Path, weights: str, base: tuple[str, Path] | None = None) -> Path:
    """Where the compiled ensemble of these weights lives: keyed on the weights' content, their base encoder
    (``base``: its name and folder, looked up when not given) and the converting libraries, so retrained weights or
    a new encoder convert again, and the same weights installed anywhere share one entry."""
    from saferag.guard.bases import fingerprint

    key = digest(weights, weights_fingerprint(_weights_file(weights)), fingerprint(*(base or _base(cache, weights))),
                 *versions("openvino", "transformers", "torch"))
    return cache / "openvino" / f"question-guard-{key}" / "model.xml"


class CompiledQuestionModel(EnsembleHeads):
    """The question ensemble's scores from its compiled graph: P(unsafe) and category probabilities per text."""

    def __init__(self, xml: Path, weights: str, *, max_tokens: int, base: Path, precision: str = "float32") -> None:
        from saferag.guard.bases import named_in, pad_token
        from saferag.guard.embedded import miss_cost_in

        with np.load(_weights_file(weights)) as w:
            heads = {k: w[k] for k in HEADS}
            self.base = named_in(w)
            self.self_harm_miss_cost = miss_cost_in(w)
        self.bin_w, self.bin_b, self.cat_w, self.cat_b = heads["bin_w"], heads["bin_b"], heads["cat_w"], heads["cat_b"]
        self.codes, self.threshold = [str(c) for c in heads["cat_codes"]], float(heads["threshold"])
        pad_id, pad = pad_token(base)
        self._tokenize = TextTokenizer(base / "tokenizer.json", max_length=max_tokens, pad_id=pad_id, pad_token=pad)
        self.precision = precision
        self._model = CompiledModel(xml, precision=precision)

    def pooled(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.run(self._tokenize(list(texts)))  # (members, texts, hidden)


def convert_ensemble(torch_model: Any, xml: Path) -> None:
    """Trace a loaded ``QuestionModel``'s lower layers, members and pooling as one graph and save it at ``xml``."""
    import torch

    from saferag.guard.embedded import mean_pool

    class Ensemble(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lower, self.members = torch_model._lower, torch.nn.ModuleList(torch_model._members)

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}  # MPNet takes none
            shared = self.lower(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
            return torch.stack([mean_pool(m(inputs_embeds=shared, attention_mask=attention_mask).last_hidden_state,
                                          attention_mask) for m in self.members])

    example = torch_model.tokenize(["An example question.", "Another, somewhat longer example question?"])
    convert(Ensemble(), {k: example[k] for k in ENCODER_INPUTS if k in example}, xml)


def compiled_question_model(cache: Path, weights: str, *, max_tokens: int, torch_model: Any = None,
                            precision: str = "float32") -> CompiledQuestionModel | None:
    """The compiled ensemble from the cache, converting ``torch_model`` first when given and not cached yet; None
    when OpenVINO is missing or fails (the caller scores with torch)."""
    if not openvino_available():
        return None
    base = _base(cache, weights)
    xml = ir_path(cache, weights, base)
    try:
        converted = not xml.is_file()
        if converted:
            if torch_model is None:
                return None
            convert_ensemble(torch_model, xml)
        model = CompiledQuestionModel(xml, weights, max_tokens=max_tokens, base=base[1], precision=precision)
        record_use(cache, xml.parent, new=converted)  # new: entries older weights or library versions left go
        return model
    except Exception as exc:  # a damaged entry or a failed conversion: torch scores, and the entry is made again
        shutil.rmtree(xml.parent, ignore_errors=True)
        if torch_model is None:
            return None  # the caller loads the torch model and converts afresh
        log.warning("the question guard could not run compiled (%s); scoring with torch", exc)
        return None
