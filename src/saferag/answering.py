"""``ask`` and ``chat`` as named steps over a conversation: screen, condense, retrieve, screen passages, fit,
generate, screen the answer, cite. Observers see what each step decided (refusals, guard failures, passages
held back), so metrics, the CLI and an audit trail all follow one stream of events.

Order of the safety steps: the question check runs alongside retrieval (nothing retrieved is used or shown
before it passed); a follow-up is condensed by the generator only after the conversation passed the check, and
the condensed query is screened too (both must pass); the answer is screened before anyone sees it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from saferag import echo
from saferag.conversation import Condensed, condense, follow_up_search, last_user, user_turns
from saferag.errors import Cancelled, GeneratorError
from saferag.guard import Verdict
from saferag.guard.screen import is_refusal, refusal_text
from saferag.ingest.document import PLACE_KEYS
from saferag.llm import Message, SamplingParams, sampling_from
from saferag.prompts import Prompt, build_prompt
from saferag.relevance import NOT_FOUND, best_cosine
from saferag.types import Hit, SearchMode

if TYPE_CHECKING:
    from saferag.rag import SafeRag


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
    condensed_query: str = ""  # a follow-up's keywords for retrieval (the question itself on a first turn)
    not_found: bool = False  # nothing retrieved was close enough to answer from (``relevance_floor``): not generated

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Event:
    """Something a step decided: ``refused``, ``guard_failed``, ``passages_held_back``, ``condensed``,
    ``answered``. ``data`` holds what an audit needs (the verdict, the text screened, the sources)."""

    kind: str
    data: dict[str, Any]


Observer = Callable[[Event], None]


@dataclass
class Request:
    """One ask: the conversation (ending with the user's question) and how to answer it."""

    messages: list[Message]
    k: int | None = None
    mode: SearchMode | None = None
    filter: str = ""
    on_token: Callable[[str], None] | None = None
    cancel: threading.Event | None = None
    params: SamplingParams | None = None


class AnswerFlow:
    """The steps of one answer, in order; ``run`` is the whole of it."""

    def __init__(self, rag: SafeRag, request: Request, observers: Sequence[Observer] = ()) -> None:
        self.rag, self.req, self.observers = rag, request, list(observers)
        self.settings = rag.settings
        self.question = last_user(request.messages)
        # The turns before the question (system messages aside). The guard reads them all; condensing and the
        # answer leave out exchanges saferag refused, so a benign follow-up is judged and answered on its own.
        self.history = [m for m in request.messages[:-1] if m["role"] in ("user", "assistant")]
        self.context = _without_refusals(self.history)
        self.app_system = "\n\n".join(m["content"] for m in request.messages if m["role"] == "system").strip()
        self.t0 = time.perf_counter()
        self.timings: dict[str, float] = {}
        self.notes: list[str] = []
        self.quarantined: list[dict[str, Any]] = []
        self.condensed = Condensed(self.question, "first turn")
        self.completion_tokens = 0

    def emit(self, kind: str, **data: Any) -> None:
        event = Event(kind, data)
        for observe in self.observers:
            observe(event)

    def run(self) -> Answer:
        verdict, hits = self.screen_and_retrieve()
        if not verdict.safe:
            return self.refuse(verdict)
        hits = self.screen_passages(hits)
        if self.off_topic(hits):
            return self.not_found(hits, verdict)
        prompt, size, params = self.fit(hits)
        text = self.generate(prompt, params)
        return self.screen_answer_and_cite(text, prompt, verdict, size)

    # -- steps ------------------------------------------------------------------------------------

    def screen_and_retrieve(self) -> tuple[Verdict, list[Hit]]:
        """The question check alongside retrieval; a follow-up is condensed once the conversation passed, and
        its condensed query must pass too."""
        screener = self.rag.screener
        conversation = [*self.history, {"role": "user", "content": self.question}]
        pending = screener.start_messages(conversation, "user")
        turns = [*self.context, {"role": "user", "content": self.question}]  # what condensing and search read
        if user_turns(self.context):
            verdict = self._settle(pending())
            if not verdict.safe:
                return verdict, []
            t = time.perf_counter()
            self.condensed = condense(turns, self.rag.generator)
            self.timings["condense"] = time.perf_counter() - t
            self.emit("condensed", query=self.condensed.query, method=self.condensed.method,
                      reason=self.condensed.reason)
            if self.condensed.reason:
                self.notes.append(f"searched for the recent questions joined: the model's rewrite was "
                                  f"{self.condensed.reason}")
            previous = verdict
            pending = screener.start(self.condensed.query, "user") if self.condensed.query != self.question \
                else (lambda: previous)
        req = self.req
        queries = follow_up_search(self.condensed, turns, req.mode or self.rag.settings.search_mode)
        try:
            hits = self.rag.search_all(queries, k=req.k or self.rag.settings.answer_k, mode=req.mode,
                                        filter=req.filter)
        finally:
            verdict = self._settle(pending())
        self.timings["retrieval"] = time.perf_counter() - self.t0
        self.timings["question_guard"] = verdict.latency
        return verdict, hits

    def screen_passages(self, hits: list[Hit]) -> list[Hit]:
        """Retrieved chunks are data, never instructions: hold back those flagged as prompt injection."""
        screen, s = self.rag.injection_screen, self.settings
        if screen is None or not hits:
            return hits
        hits, flagged = screen.split(hits)
        if flagged:
            verb = "dropped" if s.injection_screen == "drop" else "quarantined"
            self.notes.append(f"{verb} {len(flagged)} retrieved passage(s) flagged as prompt injection: "
                              + ", ".join(f"{f.source}#{f.chunk_index}" for f in flagged))
            if s.injection_screen == "quarantine":
                self.quarantined = [asdict(f) for f in flagged]
            self.emit("passages_held_back", question=self.question, action=verb, passages=[asdict(f) for f in flagged])
        return hits

    def fit(self, hits: list[Hit]) -> tuple[Prompt, int, SamplingParams]:
        """The prompt that fits the context window: the oldest turns go first, then the least relevant passages."""
        gen, s = self.rag.generator, self.settings
        params = self.req.params or sampling_from(s)
        budget = gen.context_window - params.max_tokens
        history, dropped_turns, dropped_hits = list(self.context), 0, 0
        while True:
            prompt = build_prompt(self.question, hits, system=s.system_prompt, user=s.user_prompt,
                                  history=history, app_system=self.app_system)
            size = gen.count_tokens(prompt.messages)
            if size <= budget:
                break
            if history:
                history, dropped_turns = history[2:] if len(history) > 1 else [], dropped_turns + 1
            elif hits:
                hits, dropped_hits = hits[:-1], dropped_hits + 1
            else:
                raise GeneratorError(f"the question does not fit the model's {gen.context_window}-token context "
                                     f"window with {params.max_tokens} tokens for the answer; shorten it or raise "
                                     "SAFERAG_LLM_CONTEXT_WINDOW")
        if dropped_turns:
            self.notes.append(f"left out the {dropped_turns} oldest exchange(s) of the conversation to fit the "
                              f"model's {gen.context_window}-token context window")
        if dropped_hits:
            self.notes.append(f"dropped the {dropped_hits} least relevant passages to fit the model's "
                              f"{gen.context_window}-token context window")
        self._hits = hits
        return prompt, size, params

    def generate(self, prompt: Prompt, params: SamplingParams) -> str:
        """The answer, whole or streamed; a screened answer is shown only once it passed."""
        gen, req = self.rag.generator, self.req
        t = time.perf_counter()
        known = echo.labels(prompt.labels)  # a copied passage label is shown as a pointer to it
        passages: dict[int, str] = {}  # what a bare pointer quotes: each source's best passage
        if self.settings.quote_pointers:
            for (n, _), hit in zip(prompt.labels, self._hits, strict=True):
                passages.setdefault(n, hit.text)
        if req.cancel is None and (req.on_token is None or self.screens_answers):
            text = gen.generate(prompt.messages, params)
        else:  # streamed: to the caller, and/or to stop at the next token once ``cancel`` is set
            shown = (None if self.screens_answers or req.on_token is None
                     else echo.Tidier(known, req.on_token, passages))
            pieces = []
            for piece in gen.stream(prompt.messages, params):
                if req.cancel is not None and req.cancel.is_set():
                    raise Cancelled("the request was cancelled during generation")
                pieces.append(piece)
                if shown is not None:
                    shown.feed(piece)
            if shown is not None:
                shown.close()
            text = "".join(pieces)
        self.timings["generation"] = time.perf_counter() - t
        self.completion_tokens = gen.count_tokens([{"role": "assistant", "content": text}])
        if passages and echo.bare(text, known):
            self.notes.append("the model only pointed to a passage; its opening is quoted")
        return echo.tidy(text, known, passages)

    def screen_answer_and_cite(self, text: str, prompt: Prompt, question_verdict: Verdict,
                               prompt_tokens: int) -> Answer:
        hits = self._hits
        decided = question_verdict
        if self.screens_answers:
            conversation = [*self.history, {"role": "user", "content": self.question},
                            {"role": "assistant", "content": text}]
            decided = self._settle(self.rag.screener.start_messages(conversation, "agent")())
            self.timings["answer_guard"] = decided.latency
            if not decided.safe:
                return self.refuse(decided, question_verdict=question_verdict, answer=text)
            if self.req.on_token is not None:
                self.req.on_token(text)
        sources = [_source(h, prompt.sources.index(h.source) + 1) for h in hits]
        self.timings["total"] = time.perf_counter() - self.t0
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": self.completion_tokens}
        answer = Answer(answer=text.strip(), sources=sources, notes=self.notes, timings=self.timings, usage=usage,
                        guard=decided.to_dict(), question_guard=question_verdict.to_dict(),
                        quarantined=self.quarantined, condensed_query=self.condensed.query)
        self.emit("answered", question=self.question, answer=answer)
        return answer

    def off_topic(self, hits: list[Hit]) -> bool:
        """Whether no passage is close enough to answer a first question from (``relevance_floor``, off at 0).

        Follow-ups are left to the model: their condensed query is a rewrite, and a low score may be the
        rewrite's fault rather than the documents'. A BM25-only search has no cosine to judge by.
        """
        floor = self.settings.relevance_floor
        if floor <= 0 or user_turns(self.context) or (self.req.mode or self.settings.search_mode) == "bm25":
            return False
        best = best_cosine(hits)
        if best is not None and best >= floor:
            return False
        self.notes.append(f"not generated: the best match's cosine, {'none' if best is None else f'{best:.3f}'}, "
                          f"is under the relevance floor {floor:.2f} (SAFERAG_RELEVANCE_FLOOR)")
        return True

    def not_found(self, hits: list[Hit], verdict: Verdict) -> Answer:
        """The answer when the documents do not cover the question: said in words, the closest passages listed."""
        if self.req.on_token is not None:
            self.req.on_token(NOT_FOUND)
        sources = [_source(h, i) for i, h in enumerate(hits, 1)]
        self.timings["total"] = time.perf_counter() - self.t0
        answer = Answer(answer=NOT_FOUND, sources=sources, notes=self.notes, timings=self.timings,
                        guard=verdict.to_dict(), question_guard=verdict.to_dict(), quarantined=self.quarantined,
                        condensed_query=self.condensed.query, not_found=True)
        self.emit("answered", question=self.question, answer=answer)
        return answer

    # -- helpers ----------------------------------------------------------------------------------

    @property
    def screens_answers(self) -> bool:
        return self.settings.guard != "off" and self.settings.guard_answers

    def _settle(self, verdict: Verdict) -> Verdict:
        if verdict.error:
            self.emit("guard_failed", verdict=verdict, question=self.question)
        return verdict

    def refuse(self, verdict: Verdict, *, question_verdict: Verdict | None = None, answer: str = "") -> Answer:
        """An answer that refuses: no sources, the verdict, and why in words (``answer``: the one screened out)."""
        timings = {**self.timings, "total": time.perf_counter() - self.t0}
        self.emit("refused", verdict=verdict, question=self.question, condensed_query=self.condensed.query,
                  answer=answer)
        text = refusal_text(verdict, self_harm_support=self.settings.self_harm_support)
        return Answer(answer=text, sources=[], timings=timings, guard=verdict.to_dict(),
                      refused=True, question_guard=(question_verdict or verdict).to_dict(),
                      condensed_query=self.condensed.query, notes=self.notes)


def _source(h: Hit, citation: int) -> dict[str, Any]:
    """How an answer lists a passage: cited as [``citation``], with where in its document it is."""
    return {"citation": citation, "source": h.source, "text": h.text, "score": h.score, "chunk_index": h.chunk_index,
            "headings": h.headings, "link": h.link,
            **{key: h.metadata[key] for key in PLACE_KEYS if key in h.metadata}}


def _without_refusals(turns: list[Message]) -> list[Message]:
    """The turns without the exchanges saferag refused (the question and the refusal)."""
    kept: list[Message] = []
    for m in turns:
        if m["role"] == "assistant" and is_refusal(m["content"]):
            if kept and kept[-1]["role"] == "user":
                kept.pop()
            continue
        kept.append(m)
    return kept
