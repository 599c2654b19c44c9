"""LlamaIndex integration (``pip install 'saferag[llamaindex]'``).

- ``SafeQueryEngine`` wraps any LlamaIndex query engine: the query is screened (user role) before
  the engine runs, the response (agent role) before it is returned; unsafe → a refusal naming
  the Llama Guard 3 categories. Sync, async and streaming.
- ``SafeChatEngine`` wraps any LlamaIndex chat engine the same way, screening the conversation.
- ``SafeRagRetriever`` retrieves from a saferag collection (hybrid search, filters, tenant).
- ``guard_from_llm`` builds a Llama Guard from a LlamaIndex LLM, e.g.
  ``Ollama(model="llama-guard3:1b")``.

The screening policy (deadline, fail closed unless ``guard_fail_open``) is saferag's own
``Screener``, the same one ``saferag ask`` uses.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncGenerator, Generator, Iterator, Sequence
from typing import Any

try:
    from llama_index.core.base.base_query_engine import BaseQueryEngine
    from llama_index.core.base.base_retriever import BaseRetriever
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.base.response.schema import (RESPONSE_TYPE, AsyncStreamingResponse, Response,
                                                       StreamingResponse)
    from llama_index.core.schema import NodeWithScore, QueryBundle, QueryType, TextNode
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("saferag.integrations.llamaindex needs LlamaIndex: pip install 'saferag[llamaindex]'") from exc

from saferag.config import Settings, load_settings
from saferag.errors import GeneratorError
from saferag.guard import Guard, Verdict, load_guard
from saferag.guard.llama_guard import LlamaGuard
from saferag.guard.screen import Screener, refusal_text
from saferag.llm import Message, SamplingParams, estimate_tokens
from saferag.rag import SafeRag
from saferag.types import SearchMode

__all__ = ["LlamaIndexGenerator", "SafeChatEngine", "SafeQueryEngine", "SafeRagRetriever", "asafe_query",
           "guard_from_llm", "safe_query"]


def _screener(guard: Guard | Screener | None, settings: Settings | None) -> Screener:
    """``guard`` with saferag's policy around it; None means the guard the settings configure."""
    if isinstance(guard, Screener):
        return guard
    s = settings or load_settings()
    if guard is None:
        load = functools.cache(lambda: load_guard(s))
        return Screener(load, name=s.guard, timeout=s.guard_timeout, fail_open=s.guard_fail_open)
    return Screener(lambda: guard, name=guard.name, timeout=s.guard_timeout, fail_open=s.guard_fail_open)


def _report(question: Verdict, answer: Verdict | None, refused: bool) -> dict[str, Any]:
    """What the response's ``metadata["saferag"]`` says about the checks."""
    return {"refused": refused, "question_guard": question.to_dict(),
            "guard": (answer or question).to_dict()}


class SafeQueryEngine(BaseQueryEngine):
    """Any LlamaIndex query engine, with its queries and responses screened by a saferag guard.

    An unsafe query is refused before the wrapped engine runs; an unsafe response is replaced by
    the refusal. ``response.metadata["saferag"]`` holds the verdicts. A streamed response is
    held back until it passes when ``screen_responses`` is on (the default), as in ``saferag ask``.
    """

    def __init__(self, query_engine: BaseQueryEngine, guard: Guard | Screener | None = None, *,
                 screen_responses: bool | None = None, streaming: bool | None = None,
                 settings: Settings | None = None) -> None:
        s = settings or load_settings()
        self._engine = query_engine
        self.screener = _screener(guard, s)
        self.screen_responses = s.guard_answers if screen_responses is None else screen_responses
        self._support = s.self_harm_support
        synthesizer = getattr(query_engine, "_response_synthesizer", None)
        self._streaming = bool(getattr(synthesizer, "_streaming", False)) if streaming is None else streaming
        super().__init__(callback_manager=getattr(query_engine, "callback_manager", None))

    def _get_prompt_modules(self) -> dict[str, Any]:
        return {"query_engine": self._engine}

    # -- sync ---------------------------------------------------------------------------------

    def _query(self, query_bundle: QueryBundle) -> RESPONSE_TYPE:
        question = self.screener.check(query_bundle.query_str, "user")
        if not question.safe:
            return self._refused(question, question)
        return self._screen(self._engine.query(query_bundle), query_bundle.query_str, question)

    def _screen(self, response: RESPONSE_TYPE, query: str, question: Verdict) -> RESPONSE_TYPE:
        if not self.screen_responses:
            return _with_report(response, _report(question, None, False))
        if isinstance(response, StreamingResponse):
            text = response.response_txt if response.response_txt is not None else "".join(response.response_gen)
        else:
            text = str(response)
        answer = self.screener.check(text, "agent", query)
        if not answer.safe:
            return self._refused(answer, question)
        if isinstance(response, StreamingResponse):  # replay the text it held back
            meta = {**(response.metadata or {}), "saferag": _report(question, answer, False)}
            return StreamingResponse(_gen(text), source_nodes=response.source_nodes, metadata=meta)
        return _with_report(response, _report(question, answer, False))

    def _refused(self, verdict: Verdict, question: Verdict) -> RESPONSE_TYPE:
        text = refusal_text(verdict, self_harm_support=self._support)
        meta = {"saferag": _report(question, verdict if verdict is not question else None, True)}
        if self._streaming:
            return StreamingResponse(_gen(text), source_nodes=[], metadata=meta)
        return Response(response=text, source_nodes=[], metadata=meta)

    # -- async --------------------------------------------------------------------------------

    async def _aquery(self, query_bundle: QueryBundle) -> RESPONSE_TYPE:
        question = await asyncio.to_thread(self.screener.check, query_bundle.query_str, "user")
        if not question.safe:
            return await self._arefused(question, question)
        response = await self._engine.aquery(query_bundle)
        if not isinstance(response, AsyncStreamingResponse):
            return await asyncio.to_thread(self._screen, response, query_bundle.query_str, question)
        if not self.screen_responses:
            return _with_report(response, _report(question, None, False))
        text = "".join([t async for t in response.async_response_gen()])
        answer = await asyncio.to_thread(self.screener.check, text, "agent", query_bundle.query_str)
        if not answer.safe:
            return await self._arefused(answer, question)
        meta = {**(response.metadata or {}), "saferag": _report(question, answer, False)}
        return AsyncStreamingResponse(_agen(text), source_nodes=response.source_nodes, metadata=meta)

    async def _arefused(self, verdict: Verdict, question: Verdict) -> RESPONSE_TYPE:
        refused = self._refused(verdict, question)
        if isinstance(refused, StreamingResponse):
            text = refusal_text(verdict, self_harm_support=self._support)
            return AsyncStreamingResponse(_agen(text), source_nodes=[], metadata=refused.metadata)
        return refused


def _gen(text: str) -> Generator[str, None, None]:
    yield text


async def _agen(text: str) -> AsyncGenerator[str, None]:
    yield text


def _with_report(response: RESPONSE_TYPE, report: dict[str, Any]) -> RESPONSE_TYPE:
    response.metadata = {**(response.metadata or {}), "saferag": report}
    return response


def safe_query(query_engine: BaseQueryEngine, guard: Guard | Screener | None, query: QueryType) -> RESPONSE_TYPE:
    """Screen ``query``, run ``query_engine`` only if it is safe, screen the response."""
    return SafeQueryEngine(query_engine, guard).query(query)


async def asafe_query(query_engine: BaseQueryEngine, guard: Guard | Screener | None,
                      query: QueryType) -> RESPONSE_TYPE:
    """``safe_query`` for async code."""
    return await SafeQueryEngine(query_engine, guard).aquery(query)


class SafeRagRetriever(BaseRetriever):
    """A LlamaIndex retriever over a saferag collection: hybrid (or dense, bm25) search, a Milvus
    filter expression, and a tenant that no filter can widen. Nodes carry ``source`` metadata."""

    def __init__(self, rag: SafeRag | None = None, *, k: int | None = None, mode: SearchMode | None = None,
                 filter: str = "", tenant: str | None = None, **overrides: Any) -> None:
        rag = rag or SafeRag(**overrides)
        self.rag = rag.for_tenant(tenant) if tenant else rag
        self.k, self.mode, self.filter = k, mode, filter
        super().__init__()

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self.rag.search(query_bundle.query_str, k=self.k, mode=self.mode, filter=self.filter)
        return [NodeWithScore(node=TextNode(id_=f"{h.source}#{h.chunk_index}", text=h.text,
                                            metadata={**h.metadata, "source": h.source, "chunk_index": h.chunk_index,
                                                      "tenant": self.rag.settings.tenant}),
                              score=h.score) for h in hits]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await asyncio.to_thread(self._retrieve, query_bundle)


class LlamaIndexGenerator:
    """A saferag ``Generator`` over a LlamaIndex LLM, so saferag's guards can run on it.

    Sampling is the LLM's own configuration (set ``temperature=0`` on a guard model): LlamaIndex
    LLMs take sampling options under backend-specific names, so ``params`` is not forwarded.
    """

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.name = f"llamaindex {type(llm).__name__} ({getattr(llm.metadata, 'model_name', '?')})"
        self.context_window = int(getattr(llm.metadata, "context_window", 0) or 4096)

    def _call(self, fn, *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:  # LlamaIndex LLMs raise their backend's errors (httpx, ollama, ValueError…)
            raise GeneratorError(f"{self.name} failed: {type(exc).__name__}: {exc}") from exc

    @staticmethod
    def _messages(messages: Sequence[Message]) -> list[ChatMessage]:
        return [ChatMessage(role=m["role"], content=m["content"]) for m in messages]

    def generate(self, messages: Sequence[Message], params: SamplingParams | None = None) -> str:
        return self._call(self.llm.chat, self._messages(messages)).message.content or ""

    def stream(self, messages: Sequence[Message], params: SamplingParams | None = None) -> Iterator[str]:
        for part in self._call(self.llm.stream_chat, self._messages(messages)):
            yield part.delta or ""

    def generate_many(self, prompts: Sequence[Sequence[Message]], params: SamplingParams | None = None) -> list[str]:
        return [self.generate(m, params) for m in prompts]

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return estimate_tokens(messages)

    def complete(self, prompt: str, params: SamplingParams | None = None) -> str:
        """The prompt as is (``formatted=True``): a built Llama Guard prompt gets no second template."""
        return self._call(functools.partial(self.llm.complete, prompt, formatted=True)).text


def guard_from_llm(llm: Any, *, prompt_format: str = "template", excluded_categories: Sequence[str] = (),
                   with_s14: bool | None = None) -> LlamaGuard:
    """A Llama Guard 3 guard on a LlamaIndex LLM.

    ``template`` (default) sends the conversation as chat messages, for servers whose chat template
    builds the guard prompt (Ollama's ``llama-guard3``, vLLM); ``raw`` sends Meta's prompt as a
    completion, for a Llama Guard GGUF in ``LlamaCPP``.
    """
    gen = LlamaIndexGenerator(llm)
    if with_s14 is None:
        with_s14 = "1b" not in gen.name.lower()
    return LlamaGuard(gen, prompt_format=prompt_format, excluded=excluded_categories, with_s14=with_s14)


from saferag.integrations.llamaindex_chat import SafeChatEngine  # noqa: E402 - it builds on the helpers above
