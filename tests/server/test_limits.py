"""The ask queue's bookkeeping: a place is given back exactly once, even by a stream never started."""

from __future__ import annotations

import asyncio
import gc

import pytest

from saferag.server.limits import ApiError, AskQueue


def test_queue_full_then_released_places_are_reused():
    q = AskQueue(slots=1, queued=1)
    a, b = q.admit(), q.admit()
    with pytest.raises(ApiError) as full:
        q.admit()
    assert full.value.status == 429 and int(full.value.headers["Retry-After"]) >= 1
    a.release(2.0)
    a.release(2.0)  # twice is once
    assert q.pending == 1
    q.admit()
    b.release()
    assert q.pending == 1


def test_a_stream_that_never_starts_gives_its_place_back(tmp_path):
    """The server's own streaming response, dropped before its first chunk (the client left): the generator's
    ``finally`` never runs, so only the server's finalizer can give the place back."""
    from starlette.requests import Request

    from saferag.rag import SafeRag
    from saferag.server import create_app
    from saferag.server.chat import chat
    from saferag.server.schemas import ChatRequest

    rag = SafeRag(milvus_uri=str(tmp_path / "s.db"), collection="docs", guard="off", max_concurrent_asks=1,
                  max_queued_asks=0)
    app = create_app(rag=rag)
    body = ChatRequest(model="docs", stream=True, messages=[{"role": "user", "content": "How do starters rise?"}])
    request = Request({"type": "http", "method": "POST", "path": "/v1/chat/completions", "headers": [],
                       "query_string": b""})

    async def respond():
        return await chat(body=body, request=request, who="default", svc=app.state.service)

    response = asyncio.run(respond())
    q = app.state.asks
    assert q.pending == 1 and response.media_type == "text/event-stream"
    with pytest.raises(ApiError):  # the one place is taken
        q.admit()
    del response  # never iterated: nothing of the stream ran
    gc.collect()
    assert q.pending == 0
    q.admit()
    rag.close()
