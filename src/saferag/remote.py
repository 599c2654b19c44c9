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
from contextlib import contextmanager
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
    ``cancel`` set: the stream is closed at the next line the server sends (a token, or the keep-alive it sends
    every second while it screens), which makes it stop the generation (``Cancelled``)."""
    body: dict[str, Any] = {"model": collection, "stream": True, "filter": filter,
                            "messages": [{"role": m["role"], "content": m["content"]} for m in messages]}
    body.update({key: value for key, value in (("k", k), ("mode", mode)) if value is not None})
    url = _root(base_url) + "/v1/chat/completions"
    pieces: list[str] = []
    final: dict[str, Any] | None = None
    with _client(base_url, api_key, timeout) as client, client.stream("POST", url, json=body) as response:
        _check(response, url)
        # Each piece is passed on when the next event comes: a refusal arrives as one piece followed by the last
        # chunk saying so, and a refusal is not streamed (as in process).
        pending = ""
        for event in _events(_lines(response), cancel):
            if "error" in event:
                raise RemoteError(f"{url}: {event['error'].get('message', event['error'])}")
            if pending and on_token is not None and not event.get("refused"):
                on_token(pending)
            choice = (event.get("choices") or [{}])[0]
            pending = (choice.get("delta") or {}).get("content") or ""
            pieces.append(pending)
            if choice.get("finish_reason"):
                final = event
    if final is None:
        raise RemoteError(f"{url} ended the answer without its last chunk")
    return Answer(answer="".join(pieces).strip(), sources=final.get("sources") or [],
                  timings=final.get("timings") or {}, notes=final.get("notes") or [], guard=final.get("guard"),
                  refused=bool(final.get("refused")), question_guard=final.get("question_guard"),
                  condensed_query=final.get("condensed_query") or "", not_found=bool(final.get("not_found")),
                  quarantined=final.get("quarantined") or [],
                  usage={k: v for k, v in (final.get("usage") or {}).items() if k != "total_tokens"})


def served_collections(base_url: str, *, api_key: str = "", timeout: float = 30.0) -> list[str]:
    """The collections the server answers from (``GET /v1/models``): checks the address and the key at once."""
    url = _root(base_url) + "/v1/models"
    with _client(base_url, api_key, timeout) as client:
        response = client.get(url)
        _check(response, url)
        return [m["id"] for m in response.json().get("data", [])]


def _root(base_url: str) -> str:
    return base_url.rstrip("/").removesuffix("/v1")


@contextmanager
def _client(base_url: str, api_key: str, timeout: float) -> Iterator[httpx.Client]:
    """An httpx client whose transport errors come out as one-line ``RemoteError``s."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        # The read timeout is between two lines: the server sends a keep-alive every second while it screens.
        with httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0), headers=headers) as client:
            yield client
    except (httpx.ConnectError, httpx.ConnectTimeout):
        raise RemoteError(f"no saferag server at {base_url}: start one with `saferag serve`, or leave out "
                          "--server (and SAFERAG_SERVER_URL)") from None
    except httpx.TimeoutException:
        raise RemoteError(f"{base_url} sent nothing for {timeout:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise RemoteError(f"{base_url}: {exc}") from None


def _check(response: httpx.Response, url: str) -> None:
    if response.status_code != 200:
        response.read()
        raise RemoteError(f"{url} answered {response.status_code}: {_message(response)}")


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
        """Checks the server, the key and the collection at once (a chat should not fail at its first answer)."""
        self.base_url, self.api_key, self.k, self.timeout = base_url, api_key, k, timeout
        served = served_collections(base_url, api_key=api_key)
        if collection and collection not in served:
            raise RemoteError(f"{base_url} does not serve collection {collection!r} (it serves: "
                              f"{', '.join(served) or 'none'})")
        self.collection = collection or (served[0] if served else "")
        self.settings = RemoteSettings(collection=f"{self.collection} at {base_url}")

    def chat(self, messages: Sequence[Message], **kwargs: Any) -> Answer:
        return chat_remote(self.base_url, messages, collection=self.collection, api_key=self.api_key, k=self.k,
                           timeout=self.timeout, **kwargs)


def _lines(response: httpx.Response) -> Iterator[str]:
    """The stream's lines, split at line feeds only. (``iter_lines`` also splits at U+2028, U+2029 and U+0085,
    which a server may send unescaped inside an event's JSON; SSE ends lines with CR, LF or CRLF only.)"""
    buffer = ""
    for text in response.iter_text():
        buffer += text
        *lines, buffer = buffer.split("\n")
        for line in lines:
            yield line.removesuffix("\r")
    if buffer:
        yield buffer


def _events(lines: Iterator[str], cancel: threading.Event | None = None) -> Iterator[dict[str, Any]]:
    """The JSON payloads of a server-sent event stream, up to ``[DONE]``; ``cancel`` is looked at on every line,
    keep-alive comments included, so a silent stretch (an answer being screened) can still be left."""
    for line in lines:
        if cancel is not None and cancel.is_set():
            raise Cancelled("stopped: the answer was cancelled")
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
