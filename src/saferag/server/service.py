"""What the routes share: the engines (one per collection served), the ask queue, metrics and keys.

``create_app`` builds one ``Service`` and leaves it on ``app.state.service``; a route takes it as a dependency
(``svc: Svc``), so the routers are plain module-level functions.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from saferag.config import Settings
from saferag.rag import SafeRag
from saferag.server.auth import KeyRing
from saferag.server.errors import ApiError
from saferag.server.limits import AskQueue, Ticket
from saferag.server.metrics import Metrics


@dataclass
class Service:
    """The engine behind the routes: ``root`` and a view of it per collection served."""

    root: SafeRag
    settings: Settings  # the root's, as the app was made with them
    keys: KeyRing
    metrics: Metrics
    asks: AskQueue
    collections: list[str]
    engines: dict[str, SafeRag]
    ingest_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one ingest at a time: it writes and flushes

    def engine_for(self, collection: str | None, who: str) -> SafeRag:
        """The tenant's view of a served collection (the first one by default); 404 for one not served."""
        name = collection or self.collections[0]
        if name not in self.engines:
            raise ApiError(404, f"unknown collection {name!r}: GET /v1/models lists the collections served",
                           code="model_not_found")
        return self.engines[name].view(tenant=who)

    def admit(self) -> Ticket:
        """A place in the ask queue (429 when it is full, counted)."""
        try:
            return self.asks.admit()
        except ApiError:
            self.metrics.rejected.inc()
            raise


def service(request: Request) -> Service:
    return request.app.state.service


Svc = Annotated[Service, Depends(service)]
