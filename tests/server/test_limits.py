"""The ask queue's bookkeeping: a place is given back exactly once, even by a stream never started."""

from __future__ import annotations

import gc
import weakref

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


def test_a_stream_that_never_starts_gives_its_place_back():
    q = AskQueue(slots=1, queued=0)
    ticket = q.admit()

    async def events():
        try:
            yield "data: never sent\n\n"
        finally:
            ticket.release()

    stream = events()
    weakref.finalize(stream, ticket.release)
    del stream  # the client left before the response started: the finally above never runs
    gc.collect()
    assert q.pending == 0
    q.admit()
