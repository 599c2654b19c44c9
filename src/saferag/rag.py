"""``SafeRag``: the one entry object. It holds the settings and builds the parts on first use."""

from __future__ import annotations

from functools import cached_property
from typing import Any
from collections.abc import Callable

from saferag.config import Settings, load_settings
from saferag.embed import Embedder, load_embedder
from saferag.errors import SafeRagError
from saferag.ingest.pipeline import IngestReport, ingest
from saferag.ingest.sources import check_inputs
from saferag.store import Hit, MilvusStore, SearchMode


class SafeRag:
    """Ingest and search one collection. Keyword arguments override env and ``saferag.toml``.

    >>> rag = SafeRag(collection="docs")            # ./saferag.db, packaged MiniLM
    >>> rag.ingest(["./handbook"])                  # doctest: +SKIP
    >>> rag.search("how do I reset my password?")   # doctest: +SKIP
    """

    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 **overrides: Any) -> None:
        given = {k: v for k, v in overrides.items() if v is not None}  # None = "not set" (CLI flags)
        self.settings = settings.model_copy(update=given) if settings else load_settings(**given)
        if embedder is not None:
            self.__dict__["embedder"] = embedder
        self._store: MilvusStore | None = None
        self._store_checked = False

    @cached_property
    def embedder(self) -> Embedder:
        return load_embedder(self.settings)

    @property
    def store(self) -> MilvusStore:
        """The collection, created if missing, checked against the embedder if present."""
        return self._collection(create=True, check_embedder=True)

    def open_existing(self) -> MilvusStore:
        """The collection without loading the embedder or creating anything (stats, delete, BM25)."""
        return self._collection(create=False, check_embedder=False)

    def _collection(self, *, create: bool, check_embedder: bool) -> MilvusStore:
        if self._store is None:
            if create:
                e = self.embedder
                self._store = self._open(embedder_name=e.name, dim=e.dim)
                self._store_checked = True
            else:
                self._store = self._open(create=False)
        if check_embedder and not self._store_checked:
            self._store.check_embedder(self.embedder.name, self.embedder.dim)
            self._store_checked = True
        return self._store

    def _open(self, **kwargs: Any) -> MilvusStore:
        s = self.settings
        return MilvusStore(s.milvus_uri, token=s.milvus_token, collection=s.collection,
                           rrf_k=s.rrf_k, bm25_stop_words=s.bm25_stop_words,
                           hybrid_candidates=s.hybrid_candidates, **kwargs)

    def ingest(self, inputs: list[str], *, glob: str | None = None, prune: bool = False,
               on_start: Callable[[int], None] | None = None,
               on_document: Callable[[str], None] | None = None) -> IngestReport:
        check_inputs(inputs)  # a typo in a path fails before any model load or write
        s = self.settings
        return ingest(inputs, store=self.store, embedder=self.embedder, chunk_size=s.chunk_size,
                      chunk_overlap=s.chunk_overlap, glob=glob, prune=prune, timeout=s.http_timeout,
                      max_bytes=int(s.max_document_mb * 2**20), batch_size=s.ingest_batch_size,
                      embed_titles=s.embed_titles, on_start=on_start, on_document=on_document)

    def search(self, question: str, *, k: int | None = None, mode: SearchMode | None = None,
               filter: str = "") -> list[Hit]:
        """Top-k chunks for ``question``, best first."""
        if not question.strip():
            raise SafeRagError("the question is empty")
        mode = mode or self.settings.search_mode
        store = self._collection(create=False, check_embedder=mode != "bm25")
        vector = None if mode == "bm25" else self.embedder.embed_query(question)
        return store.search(vector, question, k=k or self.settings.top_k, mode=mode, filter=filter)

    def close(self) -> None:
        """Release the Milvus connection (a Milvus Lite file can then be opened elsewhere)."""
        if self._store is not None:
            self._store.close()
            self._store, self._store_checked = None, False

    def __enter__(self) -> SafeRag:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stats(self) -> dict[str, Any]:
        store = self.open_existing()
        return {"uri": self.settings.milvus_uri, "collection": store.collection,
                "embedder": store.embedder_name, "dim": store.dim, "chunks": store.count(),
                "documents": len(store.sources())}

    def delete(self, source: str) -> int:
        store = self.open_existing()
        n = store.delete_source(source)
        store.flush()
        return n
