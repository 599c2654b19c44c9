"""``SafeRag``: the one entry object. It holds the settings and builds the parts on first use."""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from saferag.answering import Answer, AnswerFlow, Observer, Request
from saferag.audit import attach_audit
from saferag.components import Components
from saferag.config import Settings, load_settings
from saferag.embed import Embedder
from saferag.errors import SafeRagError
from saferag.guard import Guard, Role, Verdict
from saferag.guard.injection import InjectionScreen
from saferag.guard.screen import Screener
from saferag.llm import Generator, Message, SamplingParams
from saferag.retrieval import Fusion, SearchQuery, blended, collapse_copies, diversify, interleave
from saferag.store import MilvusStore, Store, check_tenant
from saferag.types import Hit, SearchMode


if TYPE_CHECKING:
    import numpy as np

    from saferag.ingest.pipeline import IngestReport

log = logging.getLogger("saferag")

#: Fields an open collection was opened with: they cannot change under it.
_STORE_FIELDS = ("milvus_", "collection", "tenant", "bm25_", "embed_model")


class SafeRag:
    """Ingest and search one collection. Keyword arguments override env and ``saferag.toml``.

    >>> rag = SafeRag(collection="docs")            # ./saferag.db, packaged MiniLM
    >>> rag.ingest(["./handbook"])                  # doctest: +SKIP
    >>> rag.search("how do I reset my password?")   # doctest: +SKIP
    """

    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 generator: Generator | None = None, observers: Sequence[Observer] = (), **overrides: Any) -> None:
        given = {k: v for k, v in overrides.items() if v is not None}  # None = "not set" (CLI flags)
        #: Called with every ``answering.Event`` of ``ask``/``chat`` (refusals, guard failures, held-back passages).
        self.observers: list[Observer] = list(observers)
        self._store: Store | None = None
        #: The embedder, generator, guard and screens, built on first use from the settings (``components``).
        self.components = Components({name: part for name, part in (("embedder", embedder), ("generator", generator))
                                      if part is not None})
        self.settings = settings.model_copy(update=given) if settings else load_settings(**given)
        attach_audit(self)  # the audit_log, if configured, hears every ask and chat
        self._store_checked = False
        self._store_lock = threading.RLock()  # the collection may be opened by ``prepare``'s thread meanwhile
        self._view = False  # a view shares the models and screener of the engine it came from
        self._parent: SafeRag | None = None  # set: the store is a tenant view of the parent's (not ours to close)

    @property
    def settings(self) -> Settings:
        return self._settings

    @settings.setter
    def settings(self, new: Settings) -> None:
        """New settings take effect at once: parts whose settings group changed are rebuilt on next use
        (``components``). The open collection's own fields cannot change: use ``view()`` or another ``SafeRag``
        for another collection or tenant."""
        old = self.__dict__.get("_settings")
        if old is not None:
            changed = tuple(k for k in type(new).model_fields if getattr(old, k) != getattr(new, k))
            if self._store is not None and any(k.startswith(_STORE_FIELDS) for k in changed):
                raise SafeRagError(f"cannot change {', '.join(k for k in changed if k.startswith(_STORE_FIELDS))} "
                                   "of an open collection: use rag.view(collection=..., tenant=...) or a new SafeRag")
        self._settings = new

    @property
    def embedder(self) -> Embedder:
        return self.components.get("embedder", self.settings)

    @property
    def guard(self) -> Guard | None:
        return self.components.get("guard", self.settings)

    @property
    def injection_screen(self) -> InjectionScreen | None:
        return self.components.get("injection_screen", self.settings)

    @property
    def screener(self) -> Screener:
        return self.components.get("screener", self.settings)

    def screen(self, text: str, *, role: Role = "user", question: str = "") -> Verdict:
        """The guard's verdict on a question (``user``) or an answer to ``question`` (``agent``).

        A guard that errors or passes ``guard_timeout`` gives an unsafe verdict with ``error`` set,
        unless ``guard_fail_open`` is on: saferag refuses when it cannot check.
        """
        return self.screener.check(text, role, question)

    @property
    def generator(self) -> Generator:
        return self.components.get("generator", self.settings)

    def prepare(self, *parts: str) -> list[threading.Thread]:
        """Start loading ``parts`` in background threads and return at once, for a caller with time to spare:
        `saferag chat` while the first question is typed. Default: all of ``collection`` (open it and run one
        keyword search, which makes Milvus Lite read its BM25 index: 1.1 s at 16.5k chunks that the first answer
        would otherwise wait for), ``generator``, ``guard``, ``screener`` and ``embedder``. Errors surface when the
        part is used. Not used by `saferag ask`: on 2 cores the loads compete for the CPU, and a cold ask was no
        faster with them in parallel (docs/benchmarks.md)."""
        names = parts or ("collection", "generator", "guard", "screener", "embedder")
        threads = []
        if "collection" in names:
            threads.append(threading.Thread(target=self._warm_collection, name="saferag-prepare-collection",
                                            daemon=True))
            threads[0].start()
        return threads + self.components.prepare([n for n in names if n != "collection"], self.settings)

    def _warm_collection(self) -> None:
        try:
            self.open_existing().search(None, "saferag", k=1, mode="bm25")
        except Exception as exc:  # reported again where the collection is used
            log.debug("preparing the collection failed: %s", exc)

    @property
    def store(self) -> Store:
        """The collection, created if missing, checked against the embedder if present."""
        return self._collection(create=True, check_embedder=True)

    def open_existing(self) -> Store:
        """The collection without loading the embedder or creating anything (stats, delete, BM25)."""
        return self._collection(create=False, check_embedder=False)

    def _collection(self, *, create: bool, check_embedder: bool) -> Store:
        with self._store_lock:
            return self._collection_locked(create=create, check_embedder=check_embedder)

    def _collection_locked(self, *, create: bool, check_embedder: bool) -> Store:
        if self._store is None and self._parent is not None:
            parent = self._parent._collection(create=create, check_embedder=check_embedder)
            self._store, self._store_checked = parent.scoped(self.settings.tenant), self._parent._store_checked
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
                           bm25_stop_words=s.bm25_stop_words, tenant=s.tenant, **kwargs)

    def for_tenant(self, tenant: str) -> SafeRag:
        """This engine restricted to ``tenant``'s documents, sharing its models and connection."""
        return self.view(tenant=tenant)

    def view(self, *, tenant: str | None = None, collection: str | None = None) -> SafeRag:
        """This engine on another tenant and/or collection, sharing its models and guard.

        Cheap enough per request: a tenant view shares the connection too. Views never close
        what they share; a view on another collection owns (and closes) only its own store.
        """
        update = {k: v for k, v in (("tenant", tenant), ("collection", collection)) if v is not None}
        if all(getattr(self.settings, k) == v for k, v in update.items()):
            return self
        if tenant is not None:
            check_tenant(tenant)
        view = SafeRag(self.settings.model_copy(update=update), observers=self.observers)
        view.components = self.components.share()
        view._view = True
        if collection is None or collection == self.settings.collection:
            view._parent = self
        return view

    def ingest(self, inputs: Sequence[str | os.PathLike[str]], *, glob: str | None = None, prune: bool = False,
               on_start: Callable[[int], None] | None = None,
               on_document: Callable[[str], None] | None = None, ray: str | None = None,
               crawl: int | None = None) -> IngestReport:
        """Ingest files, folders and URLs (``pipeline.ingest``); ``ray`` (``local``, ``auto`` or a cluster address)
        reads, splits and embeds on Ray (``ingest.on_ray``), this process still planning and writing; ``crawl``
        (default ``crawl_max_pages``) follows each web page's links to that many pages under its folder."""
        from saferag.ingest.pipeline import ingest
        from saferag.ingest.sources import check_inputs

        paths = [os.fspath(i) for i in inputs]
        # Checked here as well as by the pipeline's discovery: ``self.store`` below loads the embedder and creates
        # the collection, so a typo in a path must fail before that (no model load, no empty collection).
        check_inputs(paths)
        s = self.settings
        # By default a round holds at least one of the embedder's batches: 256 on a GPU, which 64 would leave idle.
        batch = s.ingest_batch_size or max(64, getattr(self.embedder, "batch_size", None) or 0)
        return ingest(paths, store=self.store, embedder=self.embedder, chunk_size=s.chunk_size,
                      chunk_overlap=s.chunk_overlap, glob=glob, prune=prune, timeout=s.http_timeout,
                      max_bytes=int(s.max_document_mb * 2**20), batch_size=batch,
                      embed_titles=s.embed_titles, parse_timeout=s.parse_timeout, ocr_images=s.ocr_images,
                      crawl_max_pages=s.crawl_max_pages if crawl is None else crawl,
                      on_start=on_start,
                      on_document=on_document, **self._ray_stage(ray))

    def _ray_stage(self, address: str | None) -> dict[str, Any]:
        address = address if address is not None else self.settings.ray_address
        if not address:
            return {}
        from saferag.ingest.on_ray import RayStage

        s = self.settings
        return {"stage": RayStage(address, s.embedder_settings, embed_actors=s.ray_embed_actors,
                                  embed_cpus=s.ray_embed_cpus)}

    def search(self, question: str, *, k: int | None = None, mode: SearchMode | None = None,
               filter: str = "") -> list[Hit]:
        """Top-k chunks for ``question``, best first, at most ``max_per_source`` of any one source."""
        return self.search_all([question], k=k, mode=mode, filter=filter)

    def search_all(self, queries: Sequence[str | SearchQuery], *, k: int | None = None,
                   mode: SearchMode | None = None, filter: str = "") -> list[Hit]:
        """Top-k chunks for one need written one or several ways, each query searched and the lists interleaved
        best first; one query is a plain ``search``. A ``SearchQuery`` searches its text by keywords and its
        blended vector densely (a follow-up: ``conversation.search_query``)."""
        wanted = [q if isinstance(q, SearchQuery) else SearchQuery(q) for q in queries]
        wanted = [q for q in wanted if q.text.strip()]
        if not wanted:
            raise SafeRagError("the question is empty")
        s = self.settings
        mode, k = mode or s.search_mode, k or s.top_k
        store = self._collection(create=False, check_embedder=mode != "bm25")
        fusion = Fusion(kind=s.fusion, dense_weight=s.dense_weight, rrf_k=s.rrf_k, candidates=s.hybrid_candidates)
        # Look deeper than k so that other sources can fill the places a crowding source gives up, a chunk two
        # queries both found is not counted against the k, and a passage's copies in other sources are dropped.
        depth = max(k, s.hybrid_candidates)
        embedder = None if mode == "bm25" else self.embedder
        # The query's embedding is handed over as a function, so hybrid search can run it during the BM25 leg.
        lists = [store.search(None if embedder is None else functools.partial(_query_vector, embedder, q), q.text,
                              k=depth, mode=mode, filter=filter, fusion=fusion) for q in wanted]
        return diversify(collapse_copies(interleave(lists)), k, s.max_per_source)

    def ask(self, question: str, *, k: int | None = None, mode: SearchMode | None = None, filter: str = "",
            on_token: Callable[[str], None] | None = None, cancel: threading.Event | None = None,
            params: SamplingParams | None = None, history: Sequence[Message] = ()) -> Answer:
        """Screen the question, retrieve, answer with numbered citations, screen the answer.

        The question's guard check runs alongside retrieval; an unsafe question gets a refusal and
        nothing retrieved or generated. With ``on_token`` the answer is streamed to it piece by
        piece; when answers are screened (``guard_answers``) it is held back until it passes.
        Setting ``cancel`` stops generation at the next token and raises ``Cancelled``; ``params``
        replaces the configured sampling for this ask. ``history``: the conversation before the
        question (see ``chat``).
        """
        if not question.strip():
            raise SafeRagError("the question is empty")
        return self.chat([*history, {"role": "user", "content": question}], k=k, mode=mode, filter=filter,
                         on_token=on_token, cancel=cancel, params=params)

    def chat(self, messages: Sequence[Message], *, k: int | None = None, mode: SearchMode | None = None,
             filter: str = "", on_token: Callable[[str], None] | None = None,
             cancel: threading.Event | None = None, params: SamplingParams | None = None) -> Answer:
        """Answer the last user message of a conversation (OpenAI-style ``{"role", "content"}`` messages).

        A follow-up ("and which argument leaves some files out?") is condensed by the generator into a standalone
        search query (``Answer.condensed_query``; a first turn costs no extra call), the guard sees the whole
        conversation, and the answer is generated from the recent turns and the passages. System messages are
        the application's instructions: they are added below saferag's grounding rules and never reach the guard.
        """
        request = Request(list(messages), k=k, mode=mode, filter=filter, on_token=on_token, cancel=cancel,
                          params=params)
        return AnswerFlow(self, request, self.observers).run()

    def close(self) -> None:
        """Release the Milvus connection (a Milvus Lite file can then be opened elsewhere) and what the parts hold
        (the screener's threads, a served embedder's connections); a view closes only a store of its own."""
        with self._store_lock:
            if self._store is not None and self._parent is None:
                self._store.close()
                self._store, self._store_checked = None, False
        if not self._view:
            self.components.close()

    def __enter__(self) -> SafeRag:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stats(self) -> dict[str, Any]:
        store = self.open_existing()
        return {"uri": self.settings.milvus_uri, "collection": store.collection,
                "embedder": store.embedder_name, "dim": store.dim, "chunks": self.chunk_count(),
                "documents": len(self.documents())}

    # The collection's documents, for this engine's tenant. These open an existing collection without loading the
    # embedder (``open_existing``); in the server every engine's collection is open from the start.

    def documents(self) -> list[str]:
        """The sources of the tenant's documents, sorted."""
        return sorted(self.open_existing().sources())

    def chunk_count(self) -> int:
        """How many chunks the tenant has in the collection."""
        return self.open_existing().count()

    def delete(self, source: str) -> int:
        """Delete one source's chunks (0: none were the tenant's); flushed, so searches no longer find them."""
        store = self.open_existing()
        n = store.delete_source(source)
        if n:
            store.flush()
        return n


def _query_vector(embedder: Embedder, query: SearchQuery) -> np.ndarray:
    """The dense leg's vector: the text's embedding, or its blend's."""
    if not query.blend:
        return embedder.embed_query(query.text)
    return blended([embedder.embed_query(t) for t, _ in query.blend], [w for _, w in query.blend])
