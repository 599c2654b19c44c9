"""Limits in front of the app: request body size, and the bounded queue in front of generation."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import anyio

from saferag.server.errors import ApiError

__all__ = ["ApiError", "AskQueue", "BodyLimit", "Ticket"]


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a body over ``limit_for(path)`` bytes gets 413 before the app reads it all.

    Checked against Content-Length up front and counted while streaming (chunked uploads), so
    nothing larger than the limit is ever held. Written by hand: Starlette has no body limit.
    """

    def __init__(self, app, limit_for: Callable[[str], int]) -> None:
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return await _too_large(send, limit)
        received, started = 0, False

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def watched(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await _too_large(send, limit)


async def _too_large(send, limit: int) -> None:
    body = json.dumps(ApiError(413, f"request body larger than {limit / 2**20:.2f} MiB; raise "
                                    "SAFERAG_MAX_UPLOAD_MB (uploads) or SAFERAG_MAX_REQUEST_KB (JSON)",
                               code="request_too_large").body()).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class AskQueue:
    """At most ``slots`` asks generate at once and ``queued`` more wait; past that, 429 + Retry-After.

    ``Retry-After`` is an estimate: the queue ahead times the recent mean ask time, over the slots.
    """

    def __init__(self, slots: int, queued: int) -> None:
        self.limiter = anyio.CapacityLimiter(slots)
        self.slots, self.capacity = slots, slots + queued
        self.pending = 0
        self.mean_seconds = 5.0

    def admit(self) -> Ticket:
        """A place in the queue, or ApiError 429 when it is full; release the ticket when done."""
        if self.pending >= self.capacity:
            wait = max(1, min(120, math.ceil(self.mean_seconds * (self.pending - self.slots + 1) / self.slots)))
            raise ApiError(429, f"too many requests: {self.pending} asks are generating or queued; retry in "
                                f"{wait} s", type="rate_limit_error", code="queue_full",
                           headers={"Retry-After": str(wait)})
        self.pending += 1
        return Ticket(self)


class Ticket:
    """One admitted ask. ``release`` is idempotent, so a finalizer can back up the normal path
    (a stream whose client left before its first chunk never runs its ``finally``)."""

    def __init__(self, queue: AskQueue) -> None:
        self._queue, self._released = queue, False

    def release(self, seconds: float | None = None) -> None:
        if self._released:
            return
        self._released = True
        self._queue.pending -= 1
        if seconds is not None:
            self._queue.mean_seconds = 0.8 * self._queue.mean_seconds + 0.2 * seconds
