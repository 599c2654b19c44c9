"""The embedder on a CUDA GPU: float16 and a GPU-sized batch by default, vectors that match the CPU's.

Skipped where torch sees no CUDA GPU (CI). On a GPU host: ``pytest tests/test_embed_gpu.py``; set
SAFERAG_TEST_EMBED_MODEL to a model folder where the packaged MiniLM wheel is not installed.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from saferag.embed import GPU_BATCH_SIZE, SentenceTransformerEmbedder

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")
MODEL = os.environ.get("SAFERAG_TEST_EMBED_MODEL", "")
TEXTS = [
    "shutil.copytree(src, dst, ignore=None) recursively copies an entire directory tree rooted at src.",
    "PRAGMA journal_mode = WAL switches SQLite to write-ahead logging.",
    "git stash push --include-untracked also stashes files that were never added.",
    "Cats sleep for most of the day.",
] * 80  # two batches of 256 and less, padded to different lengths


def test_auto_on_cuda_is_float16_with_a_gpu_batch_and_matches_the_cpu():
    gpu = SentenceTransformerEmbedder(MODEL, device="cuda")
    assert (gpu.precision, gpu.runtime, gpu.batch_size) == ("float16", "torch", GPU_BATCH_SIZE)
    assert next(gpu._model.parameters()).dtype == torch.float16
    cpu = SentenceTransformerEmbedder(MODEL, device="cpu", precision="float32", runtime="torch")
    assert next(cpu._model.parameters()).dtype == torch.float32  # cast, whatever dtype the checkpoint holds
    a, b = gpu.embed_documents(TEXTS), cpu.embed_documents(TEXTS)
    assert a.dtype == np.float32 and np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    cos = np.sum(a * b, axis=1)
    assert cos.min() > 0.999, cos.min()
    # the query side ranks the right passage first on the GPU too
    q = gpu.embed_query("How do I copy a whole folder with its subfolders?")
    assert int(np.argmax(a[:4] @ q)) == 0


def test_explicit_precisions_on_cuda():
    wanted = [("float32", torch.float32)] + ([("bfloat16", torch.bfloat16)] if torch.cuda.is_bf16_supported() else [])
    for precision, dtype in wanted:
        e = SentenceTransformerEmbedder(MODEL, device="cuda", precision=precision)
        assert next(e._model.parameters()).dtype == dtype
        assert e.embed_documents(TEXTS[:4]).shape == (4, e.dim)
