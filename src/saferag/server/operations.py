"""Moderation (``POST /v1/moderations``, OpenAI's shape, the Llama Guard 3 categories), search
(``POST /v1/search``), and operating the service: ``/healthz``, ``/readyz``, ``/metrics`` and the web chat page."""

from __future__ import annotations

import asyncio
import uuid
from functools import partial
from importlib import resources

import anyio
import httpx
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response

from saferag.errors import FilterError, SafeRagError
from saferag.guard import CATEGORIES
from saferag.ingest.sources import upload_suffixes
from saferag.rag import SafeRag
from saferag.server.auth import Tenant
from saferag.server.errors import ApiError
from saferag.server.schemas import ModerationRequest, SearchRequest
from saferag.server.service import Svc

router = APIRouter()  # moderation and search
health = APIRouter()  # health, metrics and the page


@router.post("/v1/moderations")
async def moderations(body: ModerationRequest, who: Tenant, svc: Svc) -> dict:
    texts = [body.input] if isinstance(body.input, str) else body.input
    if not texts or len(texts) > 32:
        raise ApiError(400, "input must hold 1 to 32 texts", code="bad_input")
    verdicts = await asyncio.gather(*(anyio.to_thread.run_sync(svc.root.screen, t) for t in texts))
    results = []
    for v in verdicts:
        flagged = {c.code for c in v.categories}
        results.append({"flagged": not v.safe,
                        "categories": {code: code in flagged for code in CATEGORIES},
                        "category_scores": {code: float(code in flagged) for code in CATEGORIES},
                        "category_names": {c.code: c.name for c in v.categories},
                        "guard": v.to_dict()})
    return {"id": f"modr-{uuid.uuid4().hex}", "model": verdicts[0].guard or svc.settings.guard, "results": results}


@router.post("/v1/search")
async def search(body: SearchRequest, who: Tenant, svc: Svc) -> dict:
    rag = svc.engine_for(body.model, who)
    try:
        hits = await anyio.to_thread.run_sync(partial(rag.search, body.query, k=body.k, mode=body.mode,
                                                      filter=body.filter))
    except FilterError as exc:
        raise ApiError(400, str(exc), code="bad_filter") from None
    return {"object": "list", "data": [h.to_dict() for h in hits]}


@health.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@health.get("/readyz")
async def readyz(svc: Svc) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        counts = await anyio.to_thread.run_sync(lambda: [svc.engines[c].chunk_count() for c in svc.collections])
        checks["milvus"] = f"ok ({sum(counts)} default-tenant chunks)"
    except SafeRagError as exc:
        checks["milvus"] = f"error: {exc}"
    checks["model"] = await anyio.to_thread.run_sync(_probe_model, svc.root)
    ready = all(v.startswith("ok") for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503)


@health.get("/metrics")
async def prometheus(svc: Svc) -> Response:
    svc.metrics.asks.set(svc.asks.pending)
    body, content_type = svc.metrics.render()
    return Response(body, media_type=content_type)


@health.get("/", response_class=HTMLResponse)
async def page() -> str:
    accept = ",".join(upload_suffixes())  # what an upload may be
    return (resources.files("saferag.server") / "static" / "index.html").read_text().replace("__ACCEPT__", accept)


def _probe_model(rag: SafeRag) -> str:
    """"ok" when the generator answers: loaded in process, or its server's model list reachable."""
    s = rag.settings
    try:
        if s.llm_backend in ("openai", "ollama"):
            gen = rag.generator
            base = (s.llm_base_url or getattr(gen, "base_url", "")).rstrip("/")
            url = f"{base}/models" if s.llm_backend == "openai" else f"{base}/api/tags"
            httpx.get(url, timeout=5, headers={"Authorization": f"Bearer {s.llm_api_key}"} if s.llm_api_key
                      else None).raise_for_status()
            return f"ok ({s.llm_backend} at {base})"
        return f"ok ({rag.generator.name})"
    except (SafeRagError, httpx.HTTPError) as exc:
        return f"error: {exc}"
