"""``SafeChatEngine``: any LlamaIndex chat engine with its conversations screened by a saferag guard.

The conversation (the engine's history and the new message) is screened before the engine runs; its last user
turn is what is judged, in the context of the turns before it (Llama Guard) or alone (the embedded guard). An
unsafe message gets a refusal naming the categories and never reaches the engine or its memory; the reply is
screened as the agent turn of the conversation before it is returned, and a streamed reply is held back until it
passed. The policy (deadline, fail closed) is saferag's ``Screener``, as for ``SafeQueryEngine``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.chat_engine.types import AgentChatResponse, BaseChatEngine, StreamingAgentChatResponse

from saferag.config import Settings, load_settings
from saferag.guard import Guard, Verdict
from saferag.guard.screen import Screener, refusal_text
from saferag.integrations.llamaindex import _report, _screener

_ROLES = {MessageRole.USER: "user", MessageRole.ASSISTANT: "assistant"}


def _turns(history: Sequence[ChatMessage] | None, message: str) -> list[dict[str, str]]:
    """LlamaIndex chat messages (user and assistant turns) and the new message, as saferag messages."""
    turns = [{"role": _ROLES[m.role], "content": m.content or ""} for m in history or () if m.role in _ROLES]
    return [*turns, {"role": "user", "content": message}]


class SafeChatEngine(BaseChatEngine):
    """Wraps ``chat_engine``; ``response.metadata["saferag"]`` holds the verdicts of each reply."""

    def __init__(self, chat_engine: BaseChatEngine, guard: Guard | Screener | None = None, *,
                 screen_responses: bool | None = None, settings: Settings | None = None) -> None:
        s = settings or load_settings()
        self._engine = chat_engine
        self.screener = _screener(guard, s)
        self.screen_responses = s.guard_answers if screen_responses is None else screen_responses
        self._support = s.self_harm_support

    @property
    def chat_history(self) -> list[ChatMessage]:
        return self._engine.chat_history

    def reset(self) -> None:
        self._engine.reset()

    # -- screening ----------------------------------------------------------------------------

    def _question(self, message: str, history: Sequence[ChatMessage] | None) -> tuple[list[dict], Verdict]:
        turns = _turns(history if history is not None else self.chat_history, message)
        return turns, self.screener.start_messages(turns, "user")()

    def _answer(self, turns: list[dict], text: str, question: Verdict) -> tuple[Verdict | None, bool]:
        """The answer's verdict (None when answers are not screened) and whether it is refused."""
        if not self.screen_responses:
            return None, False
        verdict = self.screener.start_messages([*turns, {"role": "assistant", "content": text}], "agent")()
        return verdict, not verdict.safe

    def _refusal(self, verdict: Verdict, question: Verdict) -> AgentChatResponse:
        text = refusal_text(verdict, self_harm_support=self._support)
        return AgentChatResponse(response=text, sources=[], source_nodes=[],
                                 metadata={"saferag": _report(question, verdict if verdict is not question else None,
                                                              True)})

    @staticmethod
    def _replay(text: str, response: Any, report: dict[str, Any]) -> StreamingAgentChatResponse:
        """A streaming response that yields the text it held back, in one piece."""
        out = StreamingAgentChatResponse(response=text, sources=getattr(response, "sources", []),
                                         source_nodes=getattr(response, "source_nodes", []))
        out.metadata = {"saferag": report}  # type: ignore[attr-defined]  # not a field: set on the instance
        out.put_in_queue(text)  # for response_gen
        out.aqueue = asyncio.Queue()  # for async_response_gen
        out.aqueue.put_nowait(text)
        out.is_done = True
        return out

    # -- sync ---------------------------------------------------------------------------------

    def chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        turns, question = self._question(message, chat_history)
        if not question.safe:
            return self._refusal(question, question)
        response = cast(AgentChatResponse, self._engine.chat(message, chat_history))
        verdict, refused = self._answer(turns, str(response), question)
        if refused and verdict is not None:
            return self._refusal(verdict, question)
        response.metadata = {**(response.metadata or {}), "saferag": _report(question, verdict, False)}
        return response

    def stream_chat(self, message: str, chat_history: list[ChatMessage] | None = None
                    ) -> StreamingAgentChatResponse:
        turns, question = self._question(message, chat_history)
        if not question.safe:
            refusal = self._refusal(question, question)
            return self._replay(refusal.response, refusal, (refusal.metadata or {})["saferag"])
        response = self._engine.stream_chat(message, chat_history)
        if not self.screen_responses:
            response.metadata = {"saferag": _report(question, None, False)}  # type: ignore[attr-defined]
            return response
        text = "".join(response.response_gen)  # held back: nothing is shown before it passed
        verdict, refused = self._answer(turns, text, question)
        if refused and verdict is not None:
            refusal = self._refusal(verdict, question)
            return self._replay(refusal.response, refusal, (refusal.metadata or {})["saferag"])
        return self._replay(text, response, _report(question, verdict, False))

    # -- async --------------------------------------------------------------------------------

    async def achat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        turns, question = await asyncio.to_thread(self._question, message, chat_history)
        if not question.safe:
            return self._refusal(question, question)
        response = cast(AgentChatResponse, await self._engine.achat(message, chat_history))
        verdict, refused = await asyncio.to_thread(self._answer, turns, str(response), question)
        if refused and verdict is not None:
            return self._refusal(verdict, question)
        response.metadata = {**(response.metadata or {}), "saferag": _report(question, verdict, False)}
        return response

    async def astream_chat(self, message: str, chat_history: list[ChatMessage] | None = None
                           ) -> StreamingAgentChatResponse:
        # Screened replies are held back whole, so the sync path (in a thread) gives the same result.
        return await asyncio.to_thread(self.stream_chat, message, chat_history)
