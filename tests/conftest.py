"""Shared fixtures: the real packaged embedder, real Milvus Lite files, a generated corpus."""

from __future__ import annotations

import logging
import os
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import pymilvus  # noqa: E402,F401 - configures its loggers on import; quiet them after

for _name in ("pymilvus", "milvus_lite"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

from corpus import write_corpus  # noqa: E402

from saferag import SafeRag  # noqa: E402
from saferag.embed import SentenceTransformerEmbedder  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path):
    """No developer env var or saferag.toml leaks into a test."""
    for key in list(os.environ):
        if key.startswith("SAFERAG_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SAFERAG_CONFIG", str(tmp_path / "no-such-saferag.toml"))


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The packaged all-MiniLM-L6-v2, loaded once per test session."""
    return SentenceTransformerEmbedder()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def make_rag(tmp_path: Path, embedder):
    """Build ``SafeRag`` objects on a fresh Milvus Lite file (or a given URI); closed after the test."""
    made: list[SafeRag] = []

    def make(uri: str | None = None, **overrides) -> SafeRag:
        rag = SafeRag(embedder=embedder, milvus_uri=uri or str(tmp_path / "test.db"),
                      collection=overrides.pop("collection", "docs"), **overrides)
        made.append(rag)
        return rag

    yield make
    for rag in made:
        rag.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def generator():
    """The packaged SmolLM2-135M-Instruct in llama.cpp, loaded once per test session."""
    from saferag.llm.llamacpp import LlamaCppGenerator

    return LlamaCppGenerator()
