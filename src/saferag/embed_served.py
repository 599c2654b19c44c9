"""Embeddings from a server that speaks OpenAI's ``/v1/embeddings``: Hugging Face TEI, vLLM's pooling runner,
Infinity, Ollama (``/v1``) and llama.cpp's server all do, so one client reaches them all.

Uses the official ``openai`` client (already a dependency for chat), which brings timeouts and retries with
exponential backoff on connection errors, 408/429 and 5xx. Batches go out ``concurrency`` at a time; vectors
are normalized here, since servers differ on whether they do, and the model's known prefixes are added here
(servers embed what they are sent).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from saferag.embed import prefixes_for
from saferag.errors import EmbedderError

if TYPE_CHECKING:
    from saferag.config import EmbedSettings

DEFAULT_BASE_URL = "http://127.0.0.1:7997"  # where `infinity_emb v2` listens by default


class ServedEmbedder:
    """Vectors for ``model`` from the embedding server at ``base_url``; ``dim`` is asked of the server once."""

    def __init__(self, base_url: str = "", *, model: str = "", api_key: str = "", timeout: float = 60.0,
                 max_retries: int = 3, batch_size: int | None = None, concurrency: int = 4,
                 query_prefix: str | None = None, passage_prefix: str | None = None) -> None:
        from openai import OpenAI

        if not model:
            raise EmbedderError("embed_backend = openai needs the served model's name: set SAFERAG_EMBED_MODEL to "
                                "the name the embedding server lists under /v1/models")
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.name, self.timeout = model, timeout
        self.batch_size = batch_size or 32  # a request small enough to retry cheaply, big enough to fill a GPU
        self.concurrency = max(1, concurrency)
        known_q, known_p = prefixes_for(model)
        self.query_prefix = known_q if query_prefix is None else query_prefix
        self.passage_prefix = known_p if passage_prefix is None else passage_prefix
        # Local servers take any key; the client insists on one.
        self._client = OpenAI(base_url=self.base_url, api_key=api_key or "saferag", timeout=timeout,
                              max_retries=max_retries)
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="saferag-embed")
        self.dim = int(self._request(["dimension probe"]).shape[1])

    @classmethod
    def from_settings(cls, embed: EmbedSettings) -> ServedEmbedder:
        return cls(embed.base_url, model=embed.model, api_key=embed.api_key, timeout=embed.timeout,
                   max_retries=embed.max_retries, batch_size=embed.batch_size, concurrency=embed.concurrency,
                   query_prefix=embed.query_prefix, passage_prefix=embed.passage_prefix)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed([self.passage_prefix + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([self.query_prefix + text])[0]

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        self._client.close()

    def _embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        batches = [texts[i:i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        parts = list(self._pool.map(self._request, batches)) if len(batches) > 1 else [self._request(batches[0])]
        for part in parts:
            if part.shape[1] != self.dim:
                raise EmbedderError(f"the embedding server at {self.base_url} changed dimension for {self.name!r}: "
                                    f"{part.shape[1]}, was {self.dim}; was another model loaded under that name?")
        return np.concatenate(parts)

    def _request(self, texts: list[str]) -> np.ndarray:
        """One batch, in input order, normalized."""
        with self._errors():
            response = self._client.embeddings.create(model=self.name, input=texts, encoding_format="float")
        rows = sorted(response.data, key=lambda d: d.index)  # the protocol does not promise order
        if len(rows) != len(texts):
            raise EmbedderError(f"the embedding server at {self.base_url} returned {len(rows)} vectors for "
                                f"{len(texts)} texts")
        try:
            vectors = np.asarray([r.embedding for r in rows], dtype=np.float32)
        except ValueError:  # ragged rows
            raise EmbedderError(f"the embedding server at {self.base_url} returned vectors of mixed "
                                "dimensions") from None
        if vectors.ndim != 2 or vectors.shape[1] == 0:
            raise EmbedderError(f"the embedding server at {self.base_url} returned no usable vectors "
                                f"(shape {vectors.shape})")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        if not np.all(np.isfinite(norms)) or np.any(norms == 0):
            raise EmbedderError(f"the embedding server at {self.base_url} returned a zero or non-finite vector")
        return vectors / norms

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """The client's exceptions as one-line EmbedderErrors that name the server and what to check."""
        import openai

        where = f"the embedding server at {self.base_url}"
        try:
            yield
        except openai.APITimeoutError:
            raise EmbedderError(f"{where} did not answer within {self.timeout:g}s (SAFERAG_EMBED_TIMEOUT)") from None
        except openai.APIConnectionError:
            raise EmbedderError(f"cannot reach {where}: is it running? (SAFERAG_EMBED_BASE_URL)") from None
        except openai.NotFoundError:
            raise EmbedderError(f"{where} has no model {self.name!r} (or no /v1/embeddings): check "
                                "SAFERAG_EMBED_MODEL against its /v1/models") from None
        except openai.AuthenticationError:
            raise EmbedderError(f"{where} refused the API key (SAFERAG_EMBED_API_KEY)") from None
        except openai.APIStatusError as exc:
            raise EmbedderError(f"{where} answered HTTP {exc.status_code}: {_first_line(exc.message)}") from None


def _first_line(text: str) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else "no message"
    return line[:200]
