"""Prometheus metrics for one app: requests, latency, guard refusals by category, guard failures, passages
held back, tokens, queue, rate limits."""

from __future__ import annotations

import time
import uuid
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    """One registry per app, so several apps (tests, workers) never share counters."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.requests = Counter("saferag_requests_total", "HTTP requests", ["endpoint", "method", "status"],
                                registry=r)
        self.latency = Histogram("saferag_request_seconds", "HTTP request latency (to the response headers)",
                                 ["endpoint"], registry=r,
                                 buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
        self.refusals = Counter("saferag_guard_refusals_total", "asks refused by the guard",
                                ["role", "category"], registry=r)
        self.tokens = Counter("saferag_tokens_total", "tokens through the generator", ["kind"], registry=r)
        self.asks = Gauge("saferag_asks_pending", "asks generating or waiting in the queue", registry=r)
        self.rejected = Counter("saferag_asks_rejected_total", "asks turned away with 429 (queue full)",
                                registry=r)
        self.rate_limited = Counter("saferag_rate_limited_total", "requests turned away with 429 (the key's rate "
                                    "limit)", ["tenant", "key_id"], registry=r)
        self.guard_failures = Counter("saferag_guard_failures_total", "guard checks that errored or timed out",
                                      ["role", "outcome"], registry=r)
        self.held_back = Counter("saferag_passages_held_back_total", "retrieved passages flagged as prompt "
                                 "injection", ["action"], registry=r)

    def answered(self, answer: Any) -> None:
        """Count an ask's tokens, or its refusal by role and category (``error`` when the guard failed)."""
        if answer.refused:
            verdict = answer.guard or {}
            cats = [c["code"] for c in verdict.get("categories", [])] or ["error" if verdict.get("error") else "none"]
            for code in cats:
                self.refusals.labels(verdict.get("role", "user"), code).inc()
        for kind in ("prompt_tokens", "completion_tokens"):
            if answer.usage.get(kind):
                self.tokens.labels(kind.removesuffix("_tokens")).inc(answer.usage[kind])

    def observe(self, event: Any) -> None:
        """An ``answering.Event`` observer: count guard failures (by role, refused or answered) and held-back
        passages (by action), the audit-worthy events that are not refusals."""
        if event.kind == "guard_failed":
            verdict = event.data["verdict"]
            self.guard_failures.labels(verdict.role, "answered" if verdict.safe else "refused").inc()
        elif event.kind == "passages_held_back":
            self.held_back.labels(event.data.get("action", "dropped")).inc(len(event.data.get("passages", [])))

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class Observe:
    """ASGI middleware: count and time every request by route, and stamp it with ``X-Request-Id``
    (the client's, or a new one). Pure ASGI rather than ``@app.middleware``: Starlette's
    ``BaseHTTPMiddleware`` hides a client's disconnect from the endpoint, which would keep
    generating for nobody."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if 0 < len(given) <= 128 and given.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id  # request.state.request_id: the audit trail's
        status = 500

        async def stamped(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode("latin-1"))]
                message = {**message, "headers": headers}
                self.metrics.latency.labels(_endpoint(scope)).observe(time.perf_counter() - t0)
            await send(message)

        try:
            await self.app(scope, receive, stamped)
        finally:
            self.metrics.requests.labels(_endpoint(scope), scope["method"], str(status)).inc()


def _endpoint(scope) -> str:
    """The route's path template (``/v1/documents/{source:path}``), so labels stay few."""
    return getattr(scope.get("route"), "path", "unmatched")
