"""``SafeRag``: the one entry object. It holds the settings and builds the parts on first use."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from saferag.config import Settings, load_settings
from saferag.embed import Embedder, load_embedder
from saferag.errors import Cancelled, GeneratorError, SafeRagError
from saferag.ingest.pipeline import IngestReport, ingest
from saferag.ingest.sources import check_inputs
from saferag.guard import Guard, Role, Verdict, load_guard
from saferag.guard.injection import InjectionScreen
from saferag.guard.screen import Screener, refusal_text
from saferag.llm import Generator, SamplingParams, load_generator, sampling_from
from saferag.prompts import build_prompt
from saferag.store import Hit, MilvusStore, SearchMode, check_tenant


@dataclass
class Answer:
    """A grounded answer: its text, the passages it was given (``citation`` n is cited as [n]),
    timings in seconds, and notes such as passages dropped to fit the context window."""

    answer: str
    sources: list[dict[str, Any]]
    timings: dict[str, float]
    notes: list[str] = field(default_factory=list)
    guard: dict[str, Any] | None = None  # the verdict that decided (the answer's, else the question's)
    refused: bool = False
    question_guard: dict[str, Any] | None = None
    quarantined: list[dict[str, Any]] = field(default_factory=list)  # chunks kept out as prompt injection
    usage: dict[str, int] = field(default_factory=dict)  # prompt_tokens, completion_tokens (as the model counts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: The parts ``SafeRag`` builds on first use, and the settings fields each is built from (by prefix). Assigning
#: new settings drops the parts whose fields changed, so the next use rebuilds them from the new values.
_BUILT_FROM: dict[str, tuple[str, ...]] = {
    "embedder": ("embed_", "query_prefix", "passage_prefix"),
    "generator": ("llm_", "vllm_", "temperature", "top_p", "max_tokens", "repeat_penalty", "seed"),
    "guard": ("guard", "llm_", "vllm_", "embed_"),  # llama_guard may run on the LLM; embedded shares the embedder
    "screener": ("guard",),
    "injection_screen": ("injection_",),
}
#: Fields an open collection was opened with: they cannot change under it.
_STORE_FIELDS = ("milvus_", "collection", "tenant", "rrf_k", "bm25_", "hybrid_candidates", "embed_model")


class SafeRag:
    """Ingest and search one collection. Keyword arguments override env and ``saferag.toml``.

    >>> rag = SafeRag(collection="docs")            # ./saferag.db, packaged MiniLM
    >>> rag.ingest(["./handbook"])                  # doctest: +SKIP
    >>> rag.search("how do I reset my password?")   # doctest: +SKIP
    """

    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 generator: Generator | None = None, **overrides: Any) -> None:
        given = {k: v for k, v in overrides.items() if v is not None}  # None = "not set" (CLI flags)
        self._store: MilvusStore | None = None
        self._given = {name for name, part in (("embedder", embedder), ("generator", generator)) if part is not None}
        self.settings = settings.model_copy(update=given) if settings else load_settings(**given)
        if embedder is not None:
            self.__dict__["embedder"] = embedder
        if generator is not None:
            self.__dict__["generator"] = generator
        self._store_checked = False
        self._view = False  # a view shares the models and screener of the engine it came from
        self._parent: SafeRag | None = None  # set: the store is a tenant view of the parent's (not ours to close)

    @property
    def settings(self) -> Settings:
        return self._settings

    @settings.setter
    def settings(self, new: Settings) -> None:
        """New settings take effect at once: parts built from fields that changed are rebuilt on next use
        (switching the guard off and on between asks, say). The open collection's own fields cannot change:
        use ``view()`` or another ``SafeRag`` for another collection or tenant."""
        old = self.__dict__.get("_settings")
        if old is not None:
            changed = tuple(k for k in type(new).model_fields if getattr(old, k) != getattr(new, k))
            if self._store is not None and any(k.startswith(_STORE_FIELDS) for k in changed):
                raise SafeRagError(f"cannot change {', '.join(k for k in changed if k.startswith(_STORE_FIELDS))} "
                                   "of an open collection: use rag.view(collection=..., tenant=...) or a new SafeRag")
            for part, fields in _BUILT_FROM.items():
                if part not in self._given and any(k.startswith(fields) for k in changed):
                    # Dropped, not closed: a view made earlier may still share it.
                    self.__dict__.pop(part, None)
        self._settings = new

    @cached_property
    def embedder(self) -> Embedder:
        return load_embedder(self.settings)

    @cached_property
    def guard(self) -> Guard | None:
        return load_guard(self.settings, embedder=self.embedder)

    @cached_property
    def injection_screen(self) -> InjectionScreen | None:
        if self.settings.injection_screen == "off":
            return None
        return InjectionScreen(self.settings.injection_threshold)

    @cached_property
    def screener(self) -> Screener:
        s = self.settings
        return Screener(lambda: self.guard, name=s.guard, timeout=s.guard_timeout, fail_open=s.guard_fail_open)

    def screen(self, text: str, *, role: Role = "user", question: str = "") -> Verdict:
        """The guard's verdict on a question (``user``) or an answer to ``question`` (``agent``).

        A guard that errors or passes ``guard_timeout`` gives an unsafe verdict with ``error`` set,
        unless ``guard_fail_open`` is on: saferag refuses when it cannot check.
        """
        return self.screener.check(text, role, question)

    @cached_property
    def generator(self) -> Generator:
        return load_generator(self.settings)

    @property
    def store(self) -> MilvusStore:
        """The collection, created if missing, checked against the embedder if present."""
        return self._collection(create=True, check_embedder=True)

    def open_existing(self) -> MilvusStore:
        """The collection without loading the embedder or creating anything (stats, delete, BM25)."""
        return self._collection(create=False, check_embedder=False)

    def _collection(self, *, create: bool, check_embedder: bool) -> MilvusStore:
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
                           rrf_k=s.rrf_k, bm25_stop_words=s.bm25_stop_words,
                           hybrid_candidates=s.hybrid_candidates, tenant=s.tenant, **kwargs)

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
        view = SafeRag(self.settings.model_copy(update=update))
        shared = ("embedder", "generator", "guard", "injection_screen", "screener")
        view.__dict__.update({k: v for k, v in self.__dict__.items() if k in shared})
        view._view = True
        if collection is None or collection == self.settings.collection:
            view._parent = self
        return view

    def ingest(self, inputs: Sequence[str | os.PathLike[str]], *, glob: str | None = None, prune: bool = False,
               on_start: Callable[[int], None] | None = None,
               on_document: Callable[[str], None] | None = None) -> IngestReport:
        inputs = [os.fspath(i) for i in inputs]
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

    def ask(self, question: str, *, k: int | None = None, mode: SearchMode | None = None, filter: str = "",
            on_token: Callable[[str], None] | None = None, cancel: threading.Event | None = None,
            params: SamplingParams | None = None) -> Answer:
        """Screen the question, retrieve, answer with numbered citations, screen the answer.

        The question's guard check runs alongside retrieval; an unsafe question gets a refusal and
        nothing retrieved or generated. With ``on_token`` the answer is streamed to it piece by
        piece; when answers are screened (``guard_answers``) it is held back until it passes.
        Setting ``cancel`` stops generation at the next token and raises ``Cancelled``; ``params``
        replaces the configured sampling for this ask.
        """
        t0 = time.perf_counter()
        if not question.strip():
            raise SafeRagError("the question is empty")
        question_verdict = self.screener.start(question, "user")
        try:
            hits = self.search(question, k=k, mode=mode, filter=filter)
        finally:
            verdict = question_verdict()
        retrieval = time.perf_counter() - t0
        if not verdict.safe:
            return self._refusal(verdict, t0, {"retrieval": retrieval})
        gen, s = self.generator, self.settings
        quarantined: list[dict[str, Any]] = []
        notes: list[str] = []
        if self.injection_screen is not None and hits:
            hits, flagged = self.injection_screen.split(hits)
            if flagged:
                verb = "dropped" if s.injection_screen == "drop" else "quarantined"
                notes.append(f"{verb} {len(flagged)} retrieved passage(s) flagged as prompt injection: "
                             + ", ".join(f"{f.source}#{f.chunk_index}" for f in flagged))
                if s.injection_screen == "quarantine":
                    quarantined = [asdict(f) for f in flagged]
        params = params or sampling_from(s)
        budget = gen.context_window - params.max_tokens
        dropped = 0
        while True:  # drop the least relevant passage until the prompt fits
            prompt = build_prompt(question, hits, system=s.system_prompt, user=s.user_prompt)
            size = gen.count_tokens(prompt.messages)
            if size <= budget or not hits:
                break
            hits, dropped = hits[:-1], dropped + 1
        if size > budget:
            raise GeneratorError(f"the question does not fit the model's {gen.context_window}-token context "
                                 f"window with {params.max_tokens} tokens for the answer; shorten it or raise "
                                 "SAFERAG_LLM_CONTEXT_WINDOW")
        if dropped:
            notes.append(f"dropped the {dropped} least relevant passages to fit the model's "
                         f"{gen.context_window}-token context window")
        t1 = time.perf_counter()
        screen_answer = s.guard != "off" and s.guard_answers
        if cancel is None and (on_token is None or screen_answer):
            text = gen.generate(prompt.messages, params)
        else:  # streamed: to the caller, and/or to stop at the next token once ``cancel`` is set
            show = None if screen_answer else on_token  # a screened answer is shown only once it passed
            pieces = []
            for piece in gen.stream(prompt.messages, params):
                if cancel is not None and cancel.is_set():
                    raise Cancelled("the request was cancelled during generation")
                pieces.append(piece)
                if show is not None:
                    show(piece)
            text = "".join(pieces)
        t2 = time.perf_counter()
        timings = {"retrieval": retrieval, "generation": t2 - t1}
        decided = verdict
        if screen_answer:
            decided = self.screen(text, role="agent", question=question)
            timings["answer_guard"] = decided.latency
            if not decided.safe:
                return self._refusal(decided, t0, timings, question_verdict=verdict)
            if on_token is not None:
                on_token(text)
        sources = [{"citation": prompt.sources.index(h.source) + 1, "source": h.source, "text": h.text,
                    "score": h.score, "chunk_index": h.chunk_index} for h in hits]
        timings["question_guard"] = verdict.latency
        timings["total"] = time.perf_counter() - t0
        usage = {"prompt_tokens": size, "completion_tokens": gen.count_tokens([{"role": "assistant", "content": text}])}
        return Answer(answer=text.strip(), sources=sources, notes=notes, timings=timings, usage=usage,
                      guard=decided.to_dict(), question_guard=verdict.to_dict(), quarantined=quarantined)

    def _refusal(self, verdict: Verdict, t0: float, timings: dict[str, float], *,
                 question_verdict: Verdict | None = None) -> Answer:
        """An answer that refuses: no sources, the verdict, and why in words."""
        text = refusal_text(verdict)
        timings = {**timings, "total": time.perf_counter() - t0}
        return Answer(answer=text, sources=[], timings=timings, guard=verdict.to_dict(), refused=True,
                      question_guard=(question_verdict or verdict).to_dict())

    def close(self) -> None:
        """Release the Milvus connection (a Milvus Lite file can then be opened elsewhere)."""
        if self._store is not None and self._parent is None:
            self._store.close()
            self._store, self._store_checked = None, False
        if self._view:
            return
        if "screener" in self.__dict__:
            self.__dict__.pop("screener").close()

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
