"""Ask a running ``saferag serve`` instead of loading the models in this process (``saferag ask --server``).

A cold ``saferag ask`` spends seconds opening Milvus Lite, reading its BM25 index and loading the embedder, the
guard and the generator before the first token; a server has them loaded, so a command that hands the question
over only pays for its own start and the server's warm answer (as ``ollama run`` does with its daemon). The
request is the server's own OpenAI-compatible chat completion, streamed, with saferag's extras on the last chunk.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from saferag.answering import Answer
from saferag.errors import Cancelled, RemoteError
from saferag.llm import Message


def ask_remote(base_url: str, question: str, **kwargs: Any) -> Answer:
    """The server's answer to ``question``, streamed to ``on_token`` as it is generated (``chat_remote``)."""
    return chat_remote(base_url, [{"role": "user", "content": question}], **kwargs)


def chat_remote(base_url: str, messages: Sequence[Message], *, collection: str = "", k: int | None = None,
                mode: str | None = None, filter: str = "", api_key: str = "",
                on_token: Callable[[str], None] | None = None, cancel: threading.Event | None = None,
                timeout: float = 600.0) -> Answer:
    """The server's answer to the conversation's last user turn, streamed to ``on_token`` as it is generated;
    sources, verdicts and timings as the server sent them. ``collection`` '' asks the server's first collection.
    ``cancel`` set: the stream is closed at the next event, which stops the generation there (``Cancelled``)."""
    body: dict[str, Any] = {"model": collection, "stream": True, "filter": filter,
                            "messages": [{"role": m["role"], "content": m["content"]} for m in messages]}
    body.update({key: value for key, value in (("k", k), ("mode", mode)) if value is not None})
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    url = base_url.rstrip("/").removesuffix("/v1") + "/v1/chat/completions"
    # A read timeout between two events: the server sends a keep-alive every second while it screens.
    limits = httpx.Timeout(timeout, connect=10.0)
    pieces: list[str] = []
    final: dict[str, Any] | None = None
    try:
        with httpx.Client(timeout=limits, headers=headers) as client, \
                client.stream("POST", url, json=body) as response:
            if response.status_code != 200:
                response.read()
                raise RemoteError(f"{url} answered {response.status_code}: {_message(response)}")
            # Each piece is passed on when the next event comes: a refusal arrives as one piece followed by
            # the last chunk saying so, and a refusal is not streamed (as in process).
            pending = ""
            for event in _events(response.iter_lines()):
                if cancel is not None and cancel.is_set():
                    raise Cancelled("stopped: the answer was cancelled")
                if "error" in event:
                    raise RemoteError(f"{url}: {event['error'].get('message', event['error'])}")
                if pending and on_token is not None and not event.get("refused"):
                    on_token(pending)
                choice = (event.get("choices") or [{}])[0]
                pending = (choice.get("delta") or {}).get("content") or ""
                pieces.append(pending)
                if choice.get("finish_reason"):
                    final = event
    except httpx.ConnectError:
        raise RemoteError(f"no saferag server at {base_url}: start one with `saferag serve`, or ask without "
                          "--server (SAFERAG_SERVER_URL)") from None
    except httpx.TimeoutException:
        raise RemoteError(f"{base_url} did not answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise RemoteError(f"{base_url}: {exc}") from None
    if final is None:
        raise RemoteError(f"{url} ended the answer without its last chunk")
    return Answer(answer="".join(pieces).strip(), sources=final.get("sources") or [],
                  timings=final.get("timings") or {}, notes=final.get("notes") or [], guard=final.get("guard"),
                  refused=bool(final.get("refused")), question_guard=final.get("question_guard"),
                  condensed_query=final.get("condensed_query") or "")



@dataclass(frozen=True)
class RemoteSettings:
    """What `saferag chat` reads of its engine's settings. The server screens (or not) before it streams, so the
    terminal prints what arrives: no answer check on this side."""

    collection: str
    guard: str = "on the server"
    guard_answers: bool = False


class RemoteChat:
    """A running ``saferag serve`` with ``SafeRag.chat``'s shape, for `saferag chat --server`."""

    def __init__(self, base_url: str, *, collection: str = "", api_key: str = "", k: int | None = None,
                 timeout: float = 600.0) -> None:
        self.base_url, self.collection, self.api_key, self.k, self.timeout = base_url, collection, api_key, k, timeout
        self.settings = RemoteSettings(collection=f"{collection or 'default'} at {base_url}")

    def chat(self, messages: Sequence[Message], **kwargs: Any) -> Answer:
        return chat_remote(self.base_url, messages, collection=self.collection, api_key=self.api_key, k=self.k,
                           timeout=self.timeout, **kwargs)


def _events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """The JSON payloads of a server-sent event stream, up to ``[DONE]`` (comments are keep-alives)."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[len("data:"):].strip()
        if data == "[DONE]":
            return
        try:
            yield json.loads(data)
        except json.JSONDecodeError:
            raise RemoteError(f"the server sent an event that is not JSON: {data[:80]!r}") from None


def _message(response: httpx.Response) -> str:
    """The error message of an OpenAI-style error body, else the start of the body."""
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200] or response.reason_phrase
