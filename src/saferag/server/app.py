"""The FastAPI app: OpenAI-compatible RAG chat, moderation, search, documents, health, metrics,
and the web chat page. Every route that touches documents runs on the caller's tenant view of
the engine, so tenancy is enforced by the store whatever the request says.

The routes live in routers (``chat``, ``documents``, ``operations``) over one shared ``service.Service``;
errors take OpenAI's shape in ``errors``; the request bodies are in ``schemas``.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from saferag.config import Settings, load_settings
from saferag.rag import SafeRag
from saferag.server import chat, documents, operations
from saferag.server.auth import KeyRing
from saferag.server.errors import install_error_handlers
from saferag.server.limits import AskQueue, BodyLimit
from saferag.server.metrics import Metrics, Observe
from saferag.server.ratelimit import open_limiter
from saferag.server.service import Service

log = logging.getLogger("saferag.server")


def create_app(settings: Settings | None = None, *, rag: SafeRag | None = None) -> FastAPI:
    """The service over ``rag`` (or a SafeRag built from ``settings``), which it closes on shutdown."""
    root = rag or SafeRag(settings or load_settings())
    s = root.settings
    keys = KeyRing(s.api_keys, s.rate_limit)
    limiter, close_limiter = open_limiter(s.rate_limit_db, keys.limited)
    metrics = Metrics()
    root.observers.append(metrics.observe)  # before the views are made: they inherit the observers
    collections = s.serve_collections or [s.collection]
    svc = Service(root=root, settings=s, keys=keys, metrics=metrics, asks=AskQueue(s.max_concurrent_asks,
                  s.max_queued_asks), collections=collections,
                  engines={c: root.view(collection=c) for c in collections})

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if keys.open:
            log.warning("no API keys configured: serving one default tenant; bind to loopback only")
        else:
            log.info("API keys configured for %d tenant(s)", len(keys.tenants))
        await anyio.to_thread.run_sync(_warm_up, root, list(svc.engines.values()))
        yield
        for engine in svc.engines.values():
            if engine is not root:
                engine.close()
        root.close()
        root.observers.remove(metrics.observe)
        close_limiter()

    app = FastAPI(title="saferag", version="0.1.0", lifespan=lifespan,
                  description="Safe RAG over your documents: OpenAI-compatible chat, moderation, documents")
    app.state.service = svc
    app.state.saferag, app.state.asks, app.state.metrics, app.state.keys = root, svc.asks, metrics, keys
    app.state.limiter = limiter  # authenticate() reads keys, limiter and metrics from app.state
    install_error_handlers(app)
    for router in (chat.router, operations.router, documents.router, operations.health):
        app.include_router(router)
    app.add_middleware(BodyLimit, limit_for=lambda path: int(s.max_upload_mb * 2**20)
                       if path.startswith("/v1/documents") else int(s.max_request_kb * 1024))
    app.add_middleware(Observe, metrics=metrics)  # outermost: sees every response, 413s included
    return app


def _warm_up(root: SafeRag, engines: list[SafeRag]) -> None:
    """Open every collection and load the models before the first request (and fail fast)."""
    for engine in engines:
        _ = engine.store
    _ = root.generator
    if root.settings.guard != "off":
        _ = root.guard
