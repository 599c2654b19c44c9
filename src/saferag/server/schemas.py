"""The request bodies: OpenAI's chat and moderation requests (with saferag's extras) and saferag's search."""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from saferag.llm import SamplingParams
from saferag.server.errors import ApiError
from saferag.types import SearchMode


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text; OpenAI content parts are joined."""
        if isinstance(self.content, list):
            return "".join(p.get("text", "") for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """OpenAI's chat request. The model names a collection; ``k``, ``mode``, ``filter`` are saferag's
    extras (``extra_body`` in the openai client). Sampling fields left out follow the configuration."""

    model_config = ConfigDict(extra="ignore")
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1, le=32768)
    max_completion_tokens: int | None = Field(None, ge=1, le=32768)  # the newer name for max_tokens
    seed: int | None = None
    k: int | None = Field(None, ge=1, le=50)
    mode: SearchMode | None = None
    filter: str = ""

    def conversation(self) -> list[dict[str, str]]:
        """The messages as saferag's conversation: system, user and assistant turns with text (tool and other
        roles left out), ending with the question; 400 when the last turn is not a user message with text."""
        turns = [{"role": m.role, "content": m.text()} for m in self.messages
                 if m.role in ("system", "developer", "user", "assistant") and m.text().strip()]
        for t in turns:
            t["role"] = "system" if t["role"] == "developer" else t["role"]  # OpenAI's newer name for system
        if not turns or turns[-1]["role"] != "user":
            raise ApiError(400, "the last message must be a user message with text: it is the question",
                           code="no_question")
        return turns

    def sampling(self, defaults: SamplingParams) -> SamplingParams:
        """The configured sampling with this request's fields on top."""
        given: dict[str, Any] = {"temperature": self.temperature, "top_p": self.top_p, "seed": self.seed,
                                 "max_tokens": self.max_completion_tokens or self.max_tokens}
        return dataclasses.replace(defaults, **{k: v for k, v in given.items() if v is not None})


class ModerationRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    input: str | list[str]
    model: str | None = None


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1)
    model: str | None = None
    k: int = Field(5, ge=1, le=100)
    mode: SearchMode | None = None
    filter: str = ""
