"""Transformer models compiled by OpenVINO for this CPU, cached on disk, and run with numpy and `tokenizers` alone.

Why: a cold `saferag ask` spent 5–7 s of its start importing torch, transformers and sentence-transformers on 2
cores (docs/benchmarks.md), to run models that OpenVINO can run by itself once they are converted. Converting
needs torch and happens once per machine (per model and library versions); every later start reads the IR and
OpenVINO's compiled blob back and tokenizes with the `tokenizers` library (the Rust tokenizer behind
transformers' fast tokenizers), which import in well under a second. The embedder (``embed_openvino``) and the
embedded guard's question model (``guard.compiled``) are both run this way.

Written by hand because the library route does not fit: sentence-transformers' ``backend="openvino"`` needs
optimum-intel, which downgrades transformers and huggingface-hub and pulls torchvision (which fails to import
beside this torch), and it imports torch at run time anyway. Conversion runs with OpenVINO's usage telemetry
replaced by its own no-op stub: a self-hosted system sends nothing home.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from saferag.cache import written_whole

#: Inputs a BERT-like encoder takes, in the names transformers gives them.
ENCODER_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def openvino_available() -> bool:
    """Whether the OpenVINO runtime can be imported here."""
    try:
        _openvino()
    except ImportError:
        return False
    return True


def _openvino() -> Any:
    # Blocks the telemetry package (None in sys.modules makes its import fail), so that OpenVINO's converter
    # falls back to its bundled stub; the runtime does not use it.
    if "openvino" not in sys.modules:
        sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]
    import openvino

    return openvino


# One OpenVINO Core for the process, as OpenVINO's documentation recommends ("a single Core instance per
# application"): each Core loads its own copies of the device plugins. A Core per model (as here until 2026-12-08)
# made hundreds in a test run, and OpenVINO's users report crashes after repeated loads that way
# (ultralytics/ultralytics#25864).
_CORE: Any = None
_CORE_LOCK = threading.Lock()


def core() -> Any:
    """The process's OpenVINO ``Core`` (made on first use)."""
    global _CORE
    with _CORE_LOCK:
        if _CORE is None:
            _CORE = _openvino().Core()
        return _CORE


def versions(*packages: str) -> list[str]:
    """Installed versions of ``packages`` ("-" for a missing one), read from their metadata without importing."""
    out = []
    for package in packages:
        try:
            out.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            out.append(f"{package}=-")
    return out


def digest(*parts: str) -> str:
    """A short cache key for ``parts``."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _files(folder: Path) -> Iterator[Path]:
    """The files under ``folder``, in a fixed order."""
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        yield from (Path(root, name) for name in sorted(files))


def folder_fingerprint(folder: Path) -> str:
    """Names, sizes and modification times of the files under ``folder``: changes when a model is replaced."""
    stats = ((path, path.stat()) for path in _files(folder))  # stat follows the hub cache's symlinks to their blobs
    return digest(*(f"{path.relative_to(folder)}:{st.st_size}:{st.st_mtime_ns}" for path, st in stats))


def folder_content(folder: Path, cache: Path) -> str:
    """What identifies a model folder's files in a cache key: their names and SHA-256s, so the same model installed
    in another place (a new virtual environment, a clone, a reinstall) shares one converted entry, where names,
    sizes and times gave each place its own. The digests are kept in the cache's index under the folder's names,
    sizes and times (``folder_fingerprint``), so a start reads every byte only after a file changed."""
    stats = folder_fingerprint(folder)
    memo = cache / "openvino" / "index" / f"content-{digest(str(folder))}.json"
    known = read_json(memo)
    if known is not None and known.get("stats") == stats and isinstance(known.get("content"), str):
        return known["content"]
    entries = []
    for path in _files(folder):
        with open(path, "rb") as f:
            entries.append(f"{path.relative_to(folder)}:{hashlib.file_digest(f, 'sha256').hexdigest()}")
    content = digest(*entries)
    try:
        write_json(memo, {"folder": str(folder), "stats": stats, "content": content})
    except OSError:  # a read-only cache: hash again next start
        pass
    return content


def convert(module: Any, example: dict[str, Any], xml: Path) -> None:
    """Trace a torch ``module`` with ``example`` inputs and save it as OpenVINO IR at ``xml`` (weights as they
    are, not float16). Written beside and then renamed, the ``.xml`` last: its presence marks the entry whole."""
    import torch

    ov = _openvino()
    with _FIRST_RUN, torch.no_grad():  # the bindings' numpy set-up may happen here too (see _FIRST_RUN)
        converted = ov.convert_model(module.eval(), example_input=example)
    with written_whole(xml, companions=[".bin"]) as partial:
        ov.save_model(converted, str(partial), compress_to_fp16=False)


# OpenVINO's bindings set up their numpy bridge on the first tensor read of the process, in one-time initialisers
# that let go of the GIL and wait for it again; two threads reading their first tensors at once (the embedder's and
# the guard's first runs, when ``SafeRag.prepare`` loads them in parallel) deadlocked there, one holding the GIL,
# the other the initialiser (2 of 10 cold `saferag ask` runs hung). So the first run of the process is alone.
_FIRST_RUN = threading.Lock()
_first_run_done = False


#: What a traced attention mask's "minus infinity" becomes in bfloat16 (Hugging Face's float16 convention).
BFLOAT16_MASK = 1e4


def fit_bfloat16(model: Any) -> int:
    """Bring the graph's scalar constants that bfloat16 cannot hold (a traced attention mask's float32 minimum,
    -3.4e38, past bfloat16's 3.39e38) to ±``BFLOAT16_MASK``; returns how many. Left as they are, they become
    infinite and the MPNet question ensemble's every score NaN (2026-12-05)."""
    from openvino import opset13

    changed = 0
    for op in model.get_ordered_ops():
        if op.get_type_name() != "Constant":
            continue
        data = op.get_data()
        if data.size <= 4 and data.dtype.kind == "f" and np.any(np.abs(data) > 3e38):
            fitted = opset13.constant(np.clip(data, -BFLOAT16_MASK, BFLOAT16_MASK).astype(data.dtype))
            op.output(0).replace(fitted.output(0))
            changed += 1
    return changed


T = TypeVar("T")


class CompiledModel:
    """An OpenVINO IR compiled for the CPU at a precision; OpenVINO keeps the compiled blob beside the IR, so a
    later start imports it instead of compiling again. One inference at a time (one request, under a lock), and
    for many batches at once a second compilation made for throughput (``run_many``)."""

    def __init__(self, xml: Path, *, precision: str, threads: int | None = None) -> None:
        self._xml = xml
        # None: OpenVINO's default, every core of the machine, whatever share of them this process was given. A
        # cap means other processes share the cores: OpenVINO would pin each one's threads to the same first
        # cores (two Ray actors of one thread each ran at half speed, both on core 0), so pinning is off then.
        self._threads = {"INFERENCE_NUM_THREADS": threads, "ENABLE_CPU_PINNING": False} if threads else {}
        # int8: the IR is already quantized (``quantize.int8_model``); what stays float runs in float32, measured
        # faster than bfloat16 there on Zen 4 (84 against 75 chunks/s)
        self._hint = "bf16" if precision == "bfloat16" else "f32"
        self._compiled = self._compile()  # OpenVINO's default for the CPU: latency, one request over all cores
        self.inputs = [i.get_any_name() for i in self._compiled.inputs]
        self._request = self._compiled.create_infer_request()
        self._lock = threading.Lock()
        self._bulk: tuple[Any, list[Any]] | None = None  # the throughput compilation and its requests, on first use
        self._bulk_lock = threading.Lock()

    def _compile(self, **config: Any) -> Any:
        model = core().read_model(str(self._xml))
        if self._hint == "bf16":
            fit_bfloat16(model)
        # The compiled blob's folder is this model's, given per compilation (the Core is shared).
        return core().compile_model(model, "CPU", {"CACHE_DIR": str(self._xml.parent / "compiled"),
                                                   "INFERENCE_PRECISION_HINT": self._hint, **self._threads, **config})

    def run(self, features: dict[str, np.ndarray]) -> np.ndarray:
        """The first output for one batch of features (only the inputs the model takes are sent)."""
        global _first_run_done
        if _first_run_done:
            return self._run(features)
        with _FIRST_RUN:
            out = self._run(features)
            _first_run_done = True
            return out

    def _run(self, features: dict[str, np.ndarray]) -> np.ndarray:
        with self._lock:
            out = self._request.infer({k: features[k] for k in self.inputs})
            return np.array(out[self._compiled.output(0)], dtype=np.float32)  # a copy: the request reuses it

    def run_many(self, batches: Iterable[dict[str, np.ndarray]],
                 finish: Callable[[np.ndarray, dict[str, np.ndarray]], T]) -> list[T]:
        """``finish(first output, features)`` of every batch, in order, with several batches in flight at once.

        They run on a second compilation made for throughput (OpenVINO's THROUGHPUT hint: the cores split into
        streams, each running its own request), made on the first call and kept. Measured with the packaged
        MiniLM on a 2-core Zen 4 VM (docs/benchmarks.md): an ingest of 60 pages in bfloat16, batches of 4 on 2
        streams, took 30 s against 34 s on one request over both cores, with the same vectors; the cost is the
        second compilation's memory (peak RSS +170 MB). A single query keeps the latency compilation.
        ``batches`` is read as it goes and each output finished at once, so memory holds only the batches in
        flight; ``finish`` runs on the calling thread."""
        it = iter(batches)
        out: list[T] = []
        if not _first_run_done:  # the process's first run stays alone (see _FIRST_RUN)
            first = next(it, None)
            if first is None:
                return out
            out.append(finish(self.run(first), first))
        with self._bulk_lock:
            if self._bulk is None:
                compiled = self._compile(PERFORMANCE_HINT="THROUGHPUT")
                n = max(1, int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
                self._bulk = compiled, [compiled.create_infer_request() for _ in range(n)]
            free = list(self._bulk[1])
            flight: deque[tuple[Any, dict[str, np.ndarray]]] = deque()  # started requests, oldest first
            try:
                for features in it:
                    if not free:
                        request, done = flight.popleft()
                        free.append(request)
                        out.append(_finished(request, done, finish))
                    request = free.pop()
                    request.start_async({k: features[k] for k in self.inputs})
                    flight.append((request, features))
                while flight:
                    request, done = flight.popleft()
                    out.append(_finished(request, done, finish))
            finally:
                for request, _ in flight:  # an error left them running: let them end before the next call
                    request.wait()
        return out


def _finished(request: Any, features: dict[str, np.ndarray],
              finish: Callable[[np.ndarray, dict[str, np.ndarray]], T]) -> T:
    """Wait for ``request`` and finish its first output (a copy: the request is reused)."""
    request.wait()
    return finish(np.array(request.get_output_tensor(0).data, dtype=np.float32), features)


class TextTokenizer:
    """A `tokenizers` tokenizer set to pad to the longest text and truncate at ``max_length``, as transformers'
    fast tokenizers do with ``padding=True, truncation=True``; returns int64 numpy arrays."""

    def __init__(self, path: Path, *, max_length: int, pad_id: int, pad_token: str) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(path))
        self._tok.enable_truncation(max_length=max_length)
        self._tok.enable_padding(pad_id=pad_id, pad_token=pad_token)
        self._lock = threading.Lock()  # padding and truncation are state on the tokenizer: kept as set here

    def __call__(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        with self._lock:
            encodings = self._tok.encode_batch(list(texts))
        return {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}


def save_tokenizer(hf_tokenizer: Any, path: Path) -> dict[str, Any] | None:
    """Write a transformers fast tokenizer's `tokenizers` form to ``path``; its padding settings, or None when
    it has no such form (a slow, Python-only tokenizer)."""
    backend = getattr(hf_tokenizer, "backend_tokenizer", None)
    if backend is None or hf_tokenizer.pad_token_id is None:
        return None
    with written_whole(path) as partial:
        backend.save(str(partial))
    return {"pad_id": int(hf_tokenizer.pad_token_id), "pad_token": str(hf_tokenizer.pad_token)}


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average of the token vectors the attention mask keeps (sentence-transformers' ``mean`` pooling)."""
    m = mask[..., None].astype(np.float32)
    return (hidden * m).sum(axis=-2) / np.maximum(m.sum(axis=-2), 1e-9)


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Sentence vectors from token vectors: ``mean``, ``cls`` or ``max``, as sentence-transformers pools them."""
    if mode == "mean":
        return mean_pool(hidden, mask)
    if mode == "cls":
        return hidden[:, 0]
    if mode == "max":
        return np.where(mask[..., None] > 0, hidden, -1e9).max(axis=1)
    raise ValueError(f"pooling {mode!r} is not run outside torch")


def read_json(path: Path) -> dict[str, Any] | None:
    """A cache entry's manifest, or None when it is missing or unreadable (the caller rebuilds it)."""
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Write a manifest whole (beside, then renamed), so a reader never sees half of one."""
    with written_whole(path) as partial:
        partial.write_text(json.dumps(value, indent=1))
