"""OpenAI-compatible chat: ``POST /v1/chat/completions`` (whole or streamed over SSE) and ``GET /v1/models``
(the collections served). Asks run in worker threads behind the ask queue; a timeout or a client that leaves
cancels the generation at its next token."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from saferag.audit import bound
from saferag.llm import sampling_from
from saferag.rag import Answer
from saferag.server.auth import Tenant
from saferag.server.errors import ApiError, as_api_error
from saferag.server.limits import Ticket
from saferag.server.schemas import ChatRequest
from saferag.server.service import Service, Svc

KEEPALIVE_SECONDS = 1.0  # while an answer is held back for screening, the stream still speaks this often

router = APIRouter()


@router.post("/v1/chat/completions")
async def chat(body: ChatRequest, request: Request, who: Tenant, svc: Svc):
    messages = body.conversation()
    rag = svc.engine_for(body.model, who)
    ask = bound(partial(rag.chat, messages, k=body.k, mode=body.mode, filter=body.filter,
                        params=body.sampling(sampling_from(rag.settings))),  # the audit trail's caller:
                request_id=getattr(request.state, "request_id", None),
                key_id=getattr(request.state, "key_id", None))
    if body.stream:
        ticket = svc.admit()
        events = _stream(svc, ask, body.model, ticket)
        weakref.finalize(events, ticket.release)  # released even if the stream never starts
        return StreamingResponse(events, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    answer = await _run(svc, ask, request)
    return _completion(answer, body.model)


@router.get("/v1/models")
async def models(who: Tenant, svc: Svc) -> dict:
    return {"object": "list", "data": [{"id": c, "object": "model", "created": 0, "owned_by": "saferag"}
                                       for c in svc.collections]}


async def _run(svc: Service, ask: Callable[..., Answer], request: Request) -> Answer:
    """The ask in a worker thread behind the queue; a timeout or a client gone cancels it."""
    s = svc.settings
    ticket = svc.admit()
    cancel, t0, answer = threading.Event(), time.perf_counter(), None
    try:
        with anyio.fail_after(s.request_timeout):
            async with anyio.create_task_group() as tg:
                tg.start_soon(_watch_disconnect, request, cancel, tg.cancel_scope)
                answer = await anyio.to_thread.run_sync(partial(ask, cancel=cancel), limiter=svc.asks.limiter,
                                                        abandon_on_cancel=True)
                tg.cancel_scope.cancel()
    except TimeoutError:
        cancel.set()
        raise ApiError(504, f"the answer took longer than {s.request_timeout:g} s (SAFERAG_REQUEST_TIMEOUT)",
                       type="timeout_error", code="timeout") from None
    finally:
        cancel.set()
        ticket.release(time.perf_counter() - t0 if answer is not None else None)
    if answer is None:  # the client went away: nobody to answer
        raise ApiError(499, "client closed the request", code="client_closed")
    svc.metrics.answered(answer)
    return answer


async def _stream(svc: Service, ask: Callable[..., Answer], model: str, ticket: Ticket) -> AsyncIterator[str]:
    """OpenAI chat-completion chunks over SSE; sources and the verdict ride on the last chunk."""
    s = svc.settings
    loop, queue = asyncio.get_running_loop(), asyncio.Queue[tuple[str, Any]]()
    cancel, t0, done = threading.Event(), time.perf_counter(), False
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def on_token(piece: str) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, ("token", piece))

    async def work() -> None:
        try:
            with anyio.fail_after(s.request_timeout):
                answer = await anyio.to_thread.run_sync(partial(ask, on_token=on_token, cancel=cancel),
                                                        limiter=svc.asks.limiter, abandon_on_cancel=True)
            queue.put_nowait(("done", answer))
        except TimeoutError:
            cancel.set()
            queue.put_nowait(("error", ApiError(504, f"the answer took longer than {s.request_timeout:g} s",
                                                type="timeout_error", code="timeout")))
        except Exception as exc:  # reported to the client as an error event, then the stream ends
            queue.put_nowait(("error", exc))

    task = asyncio.create_task(work())
    try:
        yield _sse(_chunk(cid, created, model, {"role": "assistant", "content": ""}))
        while True:
            try:
                kind, item = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:  # an SSE comment: keeps proxies open, and finds clients that left
                yield ": keep-alive\n\n"
                continue
            if kind == "token":
                yield _sse(_chunk(cid, created, model, {"content": item}))
                continue
            if kind == "error":
                err = item if isinstance(item, ApiError) else as_api_error(item)
                yield _sse(err.body())
            else:
                done = True
                svc.metrics.answered(item)
                if item.refused:  # nothing was streamed: the refusal is the whole answer
                    yield _sse(_chunk(cid, created, model, {"content": item.answer}))
                final = _chunk(cid, created, model, {}, finish="content_filter" if item.refused else "stop")
                yield _sse({**final, **_extras(item), "usage": _usage(item)})
            yield "data: [DONE]\n\n"
            return
    finally:
        cancel.set()  # a client that disconnected stops the generation at its next token
        task.cancel()
        ticket.release(time.perf_counter() - t0 if done else None)


async def _watch_disconnect(request: Request, cancel: threading.Event, scope: anyio.CancelScope) -> None:
    while not await request.is_disconnected():
        await anyio.sleep(0.25)
    cancel.set()
    scope.cancel()


def _extras(answer: Answer) -> dict[str, Any]:
    """saferag's additions to an OpenAI response: sources, the verdicts, notes, timings."""
    return {"sources": answer.sources, "guard": answer.guard, "question_guard": answer.question_guard,
            "refused": answer.refused, "notes": answer.notes, "timings": answer.timings,
            "condensed_query": answer.condensed_query, "not_found": answer.not_found,
            "quarantined": answer.quarantined}


def _usage(answer: Answer) -> dict[str, int]:
    """OpenAI's token counts; a stream carries them on its last chunk (as ``stream_options.include_usage`` does)."""
    usage = {"prompt_tokens": answer.usage.get("prompt_tokens", 0),
             "completion_tokens": answer.usage.get("completion_tokens", 0)}
    return {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}


def _completion(answer: Answer, model: str) -> dict[str, Any]:
    return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "usage": _usage(answer),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer},
                         "finish_reason": "content_filter" if answer.refused else "stop", "logprobs": None}],
            **_extras(answer)}


def _chunk(cid: str, created: int, model: str, delta: dict, finish: str | None = None) -> dict[str, Any]:
    return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}


def _sse(obj: dict) -> str:
    return f"data: {json.dumps(obj)}\n\n"  # ASCII: no U+2028 or U+0085 for a client to split lines at
