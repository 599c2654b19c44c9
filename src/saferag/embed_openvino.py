"""A sentence-transformers model run by OpenVINO on the CPU: the fast local embedding runtime, and a fast start.

Measured on 2-core VMs (docs/benchmarks.md): OpenVINO runs the packaged MiniLM several times faster than torch
eagerly does, on every CPU class, in float32 and in bfloat16 where the CPU has it natively, with vectors within
cosine 0.9999 of torch float32's. Only the transformer is converted (once per machine, ``compiled.convert``).

For the usual model shape (a transformer, then mean, CLS or max pooling, then perhaps normalization) the
tokenizer and the pooling config are saved beside the IR with a manifest, and every later start builds a
``CompiledEncoder`` from them without importing torch or sentence-transformers (``cached_encoder``). Other
shapes keep sentence-transformers' own modules for tokenizing and pooling (``OpenVINOTransformer``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from saferag.cache import record_use
from saferag.compiled import (ENCODER_INPUTS, CompiledModel, TextTokenizer, convert, digest, folder_content,
                              openvino_available, pool, read_json, save_tokenizer, versions, write_json)
from saferag.errors import EmbedderError, QuantizationError
from saferag.quantize import features_of, int8_model

__all__ = ["CompiledEncoder", "OpenVINOTransformer", "cached_encoder", "compile_encoder", "openvino_available"]

#: Libraries whose versions key a conversion: a new one converts again, once.
_CONVERTERS = ("openvino", "sentence-transformers", "transformers", "torch")


class CompiledEncoder:
    """Tokenizer, compiled transformer and pooling, all outside torch: texts → sentence vectors."""

    def __init__(self, folder: Path, manifest: dict[str, Any], *, precision: str, threads: int | None = None) -> None:
        self.dim, self.prompts = int(manifest["dim"]), dict(manifest.get("prompts") or {})
        self._pooling = str(manifest["pooling"])
        self._tokenize = TextTokenizer(folder / "tokenizer.json", max_length=int(manifest["max_length"]),
                                       pad_id=int(manifest["pad_id"]), pad_token=str(manifest["pad_token"]))
        xml = folder / "model.xml"
        self._model = CompiledModel(int8_model(xml, self._tokenize) if precision == "int8" else xml,
                                    precision=precision, threads=threads)

    def sentence_embeddings(self, texts: list[str]) -> np.ndarray:
        """One batch of texts → the model's sentence vectors (before any normalization), float32."""
        features = self._tokenize(texts)
        return pool(self._model.run(features), features["attention_mask"], self._pooling)

    def sentence_embeddings_many(self, batches: Iterable[list[str]]) -> list[np.ndarray]:
        """``sentence_embeddings`` of each batch, several in flight at once (``CompiledModel.run_many``)."""
        return self._model.run_many((self._tokenize(texts) for texts in batches),
                                    lambda hidden, features: pool(hidden, features["attention_mask"], self._pooling))


class OpenVINOTransformer:
    """The token-embedding step of any ``SentenceTransformer`` compiled for the CPU; its own modules tokenize
    and pool (in torch), for models whose pooling ``CompiledEncoder`` does not run."""

    def __init__(self, st_model: Any, xml: Path, *, precision: str, threads: int | None = None) -> None:
        self._st = st_model
        if precision == "int8":
            xml = int8_model(xml, features_of(_preprocess(st_model[0])))
        self._model = CompiledModel(xml, precision=precision, threads=threads)

    def sentence_embeddings(self, texts: list[str]) -> np.ndarray:
        import torch

        features = _preprocess(self._st[0])(texts)
        hidden = self._model.run({k: v.numpy() for k, v in features.items() if k in self._model.inputs})
        features["token_embeddings"] = torch.from_numpy(hidden)
        with torch.inference_mode():  # a Dense layer's weights require grad
            for module in list(self._st)[1:]:  # pooling, normalize, dense: the model's own modules
                features = module(features)
        return features["sentence_embedding"].float().numpy()

    def sentence_embeddings_many(self, batches: Iterable[list[str]]) -> list[np.ndarray]:
        """``sentence_embeddings`` of each batch in turn, on the latency compilation: its features and pooling are
        torch's (models of this shape are rare; their batches at the default size are small, unmeasured)."""
        return [self.sentence_embeddings(texts) for texts in batches]


def model_folder(location: str) -> Path | None:
    """Where a model's files are on this machine: the folder given, or the hub cache's copy of a hub name
    (None when it is not there yet: the slow path downloads it)."""
    if Path(location).expanduser().is_dir():
        return Path(location).expanduser().resolve()
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(location, "config.json")
    except Exception:  # not a repo id, or no hub library: no fast path
        return None
    return Path(found).parent if isinstance(found, str) else None


def _index(cache: Path, name: str, location: str) -> Path:
    return cache / "openvino" / "index" / f"{digest(name, location, *versions(*_CONVERTERS))}.json"


def cached_encoder(name: str, location: str, cache: Path, *, precision: str,
                   threads: int | None = None) -> CompiledEncoder | None:
    """The model's ``CompiledEncoder`` from an earlier conversion on this machine, without importing torch; None
    when there is none, the model's files changed since, or OpenVINO cannot read it back."""
    folder = model_folder(location)
    manifest = read_json(_index(cache, name, location)) if folder is not None else None
    if manifest is None or folder is None or manifest.get("files") != folder_content(folder, cache):
        return None
    ir = Path(manifest["ir"])
    if not (ir / "model.xml").is_file() or not (ir / "tokenizer.json").is_file() or not openvino_available():
        return None
    try:
        encoder = CompiledEncoder(ir, manifest, precision=precision, threads=threads)
    except QuantizationError:
        raise  # not damage: the caller falls back to a float precision
    except Exception:  # a damaged cache entry: convert again
        return None
    record_use(cache, ir)
    return encoder


def compile_encoder(st_model: Any, *, name: str, location: str, cache: Path,
                    precision: str, threads: int | None = None) -> CompiledEncoder | OpenVINOTransformer:
    """Convert a loaded ``SentenceTransformer``'s transformer (once; cached) and compile it; for the usual model
    shape also save what ``cached_encoder`` needs so later starts skip torch. An entry that does not compile (a
    damaged file) is converted again, once."""
    transformer = st_model[0]
    folder = model_folder(location)
    files = folder_content(folder, cache) if folder is not None else ""
    ir = cache / "openvino" / _key(name, transformer, files)
    converted = False
    try:
        for attempt in (1, 2):
            if not (ir / "model.xml").is_file():
                converted = True
                example = _preprocess(transformer)(["An example sentence.",
                                                    "Another, somewhat longer example sentence."])
                convert(transformer.auto_model, {k: v for k, v in example.items() if k in ENCODER_INPUTS},
                        ir / "model.xml")
            try:
                manifest = _manifest(st_model, ir)
                encoder: CompiledEncoder | OpenVINOTransformer = \
                    OpenVINOTransformer(st_model, ir / "model.xml", precision=precision, threads=threads) \
                    if manifest is None or folder is None else \
                    CompiledEncoder(ir, manifest, precision=precision, threads=threads)
                break
            except QuantizationError:
                raise
            except Exception:
                if attempt == 2:
                    raise
                shutil.rmtree(ir, ignore_errors=True)  # damaged: convert again
        if isinstance(encoder, CompiledEncoder):  # later starts build it from the cache, without torch
            write_json(_index(cache, name, location), {**(manifest or {}), "files": files, "ir": str(ir)})
        record_use(cache, ir, new=converted)  # the cache grew: entries older library versions left behind go
        return encoder
    except QuantizationError:
        raise
    except Exception as exc:  # conversion and compilation raise many types; the caller falls back to torch
        raise EmbedderError(f"OpenVINO could not compile {name}: {exc}") from None


def _manifest(st_model: Any, ir: Path) -> dict[str, Any] | None:
    """What ``CompiledEncoder`` needs, saved beside the IR; None for a shape it does not run (extra modules,
    pooling other than mean/CLS/max, a prompt excluded from pooling, a default prompt, lowercasing or left padding
    done by sentence-transformers, a tokenizer without a `tokenizers` form)."""
    modules = list(st_model)
    kinds = [type(m).__name__ for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return None
    if getattr(st_model, "default_prompt_name", None) or getattr(modules[0], "do_lower_case", False) or \
            getattr(modules[0].tokenizer, "padding_side", "right") != "right":
        return None  # sentence-transformers applies these its own way: its modules tokenize (OpenVINOTransformer)
    transformer, pooling = modules[0], modules[1]
    if getattr(pooling, "pooling_mode", None) not in ("mean", "cls", "max") or not getattr(pooling, "include_prompt",
                                                                                           True):
        return None
    padding = save_tokenizer(transformer.tokenizer, ir / "tokenizer.json")
    dim = st_model.get_embedding_dimension() if hasattr(st_model, "get_embedding_dimension") else \
        st_model.get_sentence_embedding_dimension()
    if padding is None or not dim:
        return None
    return {"dim": int(dim), "pooling": pooling.pooling_mode, "max_length": int(transformer.max_seq_length),
            "prompts": dict(getattr(st_model, "prompts", {}) or {}), **padding}


def _preprocess(module: Any) -> Any:
    """Texts → model inputs: ``preprocess`` in sentence-transformers 6 (``tokenize`` before, now deprecated)."""
    return getattr(module, "preprocess", None) or module.tokenize


def _key(name: str, transformer: Any, files: str) -> str:
    """A cache key that changes with the model's files (their content: a model replaced in place converts again,
    the same model in another place does not), its config and the converting libraries' versions; by its name only
    where its files are not known."""
    return digest(files or name, transformer.auto_model.config.to_json_string(),
                  *versions("openvino", "transformers", "torch"))
