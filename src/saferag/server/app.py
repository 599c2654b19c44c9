"""The FastAPI app: OpenAI-compatible RAG chat, moderation, search, documents, health, metrics,
and the web chat page. Every route that touches documents runs on the caller's tenant view of
the engine, so tenancy is enforced by the store whatever the request says.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import httpx
from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from saferag.audit import bound
from saferag.config import Settings, load_settings
from saferag.errors import (Cancelled, ConfigError, DocumentError, GeneratorError, InputNotFoundError,
                            SafeRagError, StoreError)
from saferag.guard import CATEGORIES
from saferag.ingest.sources import KINDS
from saferag.llm import SamplingParams, sampling_from
from saferag.rag import Answer, SafeRag
from saferag.server.auth import KeyRing, authenticate
from saferag.server.limits import ApiError, AskQueue, BodyLimit, Ticket
from saferag.server.metrics import Metrics, Observe
from saferag.server.ratelimit import open_limiter

log = logging.getLogger("saferag.server")
KEEPALIVE_SECONDS = 1.0  # while an answer is held back for screening, the stream still speaks this often


# -- request bodies ---------------------------------------------------------------------------

class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text; OpenAI content parts are joined."""
        if isinstance(self.content, list):
            return "".join(p.get("text", "") for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """OpenAI's chat request. The model names a collection; ``k``, ``mode``, ``filter`` are saferag's
    extras (``extra_body`` in the openai client). Sampling fields left out follow the configuration."""

    model_config = ConfigDict(extra="ignore")
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1, le=32768)
    max_completion_tokens: int | None = Field(None, ge=1, le=32768)  # the newer name for max_tokens
    seed: int | None = None
    k: int | None = Field(None, ge=1, le=50)
    mode: Literal["hybrid", "dense", "bm25"] | None = None
    filter: str = ""

    def conversation(self) -> list[dict[str, str]]:
        """The messages as saferag's conversation: system, user and assistant turns with text (tool and other
        roles left out), ending with the question; 400 when the last turn is not a user message with text."""
        turns = [{"role": m.role, "content": m.text()} for m in self.messages
                 if m.role in ("system", "developer", "user", "assistant") and m.text().strip()]
        for t in turns:
            t["role"] = "system" if t["role"] == "developer" else t["role"]  # OpenAI's newer name for system
        if not turns or turns[-1]["role"] != "user":
            raise ApiError(400, "the last message must be a user message with text: it is the question",
                           code="no_question")
        return turns

    def sampling(self, defaults: SamplingParams) -> SamplingParams:
        """The configured sampling with this request's fields on top."""
        given = {"temperature": self.temperature, "top_p": self.top_p, "seed": self.seed,
                 "max_tokens": self.max_completion_tokens or self.max_tokens}
        return dataclasses.replace(defaults, **{k: v for k, v in given.items() if v is not None})


class ModerationRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    input: str | list[str]
    model: str | None = None


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1)
    model: str | None = None
    k: int = Field(5, ge=1, le=100)
    mode: Literal["hybrid", "dense", "bm25"] | None = None
    filter: str = ""


# -- the app ----------------------------------------------------------------------------------

Tenant = Annotated[str, Depends(authenticate)]  # 401 without a valid key, 429 past its rate limit


def create_app(settings: Settings | None = None, *, rag: SafeRag | None = None) -> FastAPI:
    """The service over ``rag`` (or a SafeRag built from ``settings``), which it closes on shutdown."""
    root = rag or SafeRag(settings or load_settings())
    s = root.settings
    keys = KeyRing(s.api_keys, s.rate_limit)
    limiter, close_limiter = open_limiter(s.rate_limit_db, keys.limited)
    metrics = Metrics()
    root.observers.append(metrics.observe)  # before the views are made: they inherit the observers
    collections = s.serve_collections or [s.collection]
    engines = {c: root.view(collection=c) for c in collections}
    asks = AskQueue(s.max_concurrent_asks, s.max_queued_asks)
    ingest_lock = asyncio.Lock()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if keys.open:
            log.warning("no API keys configured: serving one default tenant; bind to loopback only")
        else:
            log.info("API keys configured for %d tenant(s)", len(keys.tenants))
        await anyio.to_thread.run_sync(_warm_up, root, list(engines.values()))
        yield
        for engine in engines.values():
            if engine is not root:
                engine.close()
        root.close()
        root.observers.remove(metrics.observe)
        close_limiter()

    app = FastAPI(title="saferag", version="0.1.0", lifespan=lifespan,
                  description="Safe RAG over your documents: OpenAI-compatible chat, moderation, documents")
    app.state.saferag, app.state.asks, app.state.metrics, app.state.keys = root, asks, metrics, keys
    app.state.limiter = limiter

    # -- errors: OpenAI's shape everywhere --------------------------------------------------

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        kind = first.get("type")
        if kind == "json_invalid":
            msg = "malformed JSON"
        elif where == "body" and kind in ("model_attributes_type", "dict_type"):
            msg = "the body must be a JSON object (send Content-Type: application/json)"
        else:
            msg = first.get("msg", "invalid")
        return JSONResponse(ApiError(400, f"invalid request: {where}: {msg}", code=first.get("type")).body(),
                            status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(ApiError(exc.status_code, str(exc.detail), code=None).body(), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(SafeRagError)
    async def saferag_error(request: Request, exc: SafeRagError) -> JSONResponse:
        return JSONResponse(_as_api_error(exc).body(), status_code=_as_api_error(exc).status)

    # -- dependencies -----------------------------------------------------------------------

    def engine_for(collection: str | None, who: str) -> SafeRag:
        name = collection or collections[0]
        if name not in engines:
            raise ApiError(404, f"unknown collection {name!r}: GET /v1/models lists the collections served",
                           code="model_not_found")
        return engines[name].view(tenant=who)

    # -- chat -------------------------------------------------------------------------------

    def admit() -> Ticket:
        try:
            return asks.admit()
        except ApiError:
            metrics.rejected.inc()
            raise

    @app.post("/v1/chat/completions")
    async def chat(body: ChatRequest, request: Request, who: Tenant):
        messages = body.conversation()
        rag = engine_for(body.model, who)
        ask = bound(partial(rag.chat, messages, k=body.k, mode=body.mode, filter=body.filter,
                            params=body.sampling(sampling_from(rag.settings))),  # the audit trail's caller:
                    request_id=getattr(request.state, "request_id", None),
                    key_id=getattr(request.state, "key_id", None))
        if body.stream:
            ticket = admit()
            events = _stream(ask, body.model, ticket)
            weakref.finalize(events, ticket.release)  # released even if the stream never starts
            return StreamingResponse(events, media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        answer = await _run(ask, request)
        return _completion(answer, body.model)

    async def _run(ask, request: Request) -> Answer:
        """The ask in a worker thread behind the queue; a timeout or a client gone cancels it."""
        ticket = admit()
        cancel, t0, answer = threading.Event(), time.perf_counter(), None
        try:
            with anyio.fail_after(s.request_timeout):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(_watch_disconnect, request, cancel, tg.cancel_scope)
                    answer = await anyio.to_thread.run_sync(partial(ask, cancel=cancel), limiter=asks.limiter,
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
        metrics.answered(answer)
        return answer

    async def _stream(ask, model: str, ticket: Ticket) -> AsyncIterator[str]:
        """OpenAI chat-completion chunks over SSE; sources and the verdict ride on the last chunk."""
        loop, queue = asyncio.get_running_loop(), asyncio.Queue()
        cancel, t0, done = threading.Event(), time.perf_counter(), False
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def on_token(piece: str) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, ("token", piece))

        async def work() -> None:
            try:
                with anyio.fail_after(s.request_timeout):
                    answer = await anyio.to_thread.run_sync(partial(ask, on_token=on_token, cancel=cancel),
                                                            limiter=asks.limiter, abandon_on_cancel=True)
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
                    err = item if isinstance(item, ApiError) else _as_api_error(item)
                    yield _sse(err.body())
                else:
                    done = True
                    metrics.answered(item)
                    if item.refused:  # nothing was streamed: the refusal is the whole answer
                        yield _sse(_chunk(cid, created, model, {"content": item.answer}))
                    final = _chunk(cid, created, model, {}, finish="content_filter" if item.refused else "stop")
                    yield _sse({**final, **_extras(item)})
                yield "data: [DONE]\n\n"
                return
        finally:
            cancel.set()  # a client that disconnected stops the generation at its next token
            task.cancel()
            ticket.release(time.perf_counter() - t0 if done else None)

    @app.get("/v1/models")
    async def models(who: Tenant) -> dict:
        return {"object": "list", "data": [{"id": c, "object": "model", "created": 0, "owned_by": "saferag"}
                                           for c in collections]}

    # -- moderation and search --------------------------------------------------------------

    @app.post("/v1/moderations")
    async def moderations(body: ModerationRequest, who: Tenant) -> dict:
        texts = [body.input] if isinstance(body.input, str) else body.input
        if not texts or len(texts) > 32:
            raise ApiError(400, "input must hold 1 to 32 texts", code="bad_input")
        verdicts = await asyncio.gather(*(anyio.to_thread.run_sync(root.screen, t) for t in texts))
        results = []
        for v in verdicts:
            flagged = {c.code for c in v.categories}
            results.append({"flagged": not v.safe,
                            "categories": {code: code in flagged for code in CATEGORIES},
                            "category_scores": {code: float(code in flagged) for code in CATEGORIES},
                            "category_names": {c.code: c.name for c in v.categories},
                            "guard": v.to_dict()})
        return {"id": f"modr-{uuid.uuid4().hex}", "model": verdicts[0].guard or s.guard, "results": results}

    @app.post("/v1/search")
    async def search(body: SearchRequest, who: Tenant) -> dict:
        rag = engine_for(body.model, who)
        try:
            hits = await anyio.to_thread.run_sync(partial(rag.search, body.query, k=body.k, mode=body.mode,
                                                          filter=body.filter))
        except StoreError as exc:
            if body.filter and "filter" in str(exc):
                raise ApiError(400, str(exc), code="bad_filter") from None
            raise
        return {"object": "list", "data": [h.to_dict() for h in hits]}

    # -- documents --------------------------------------------------------------------------

    @app.post("/v1/documents")
    async def add_documents(request: Request, who: Tenant,
                            files: Annotated[list[UploadFile] | None, File()] = None,
                            urls: Annotated[list[str] | None, Form()] = None,
                            collection: Annotated[str | None, Query()] = None) -> dict:
        rag = engine_for(collection, who)
        urls = [u for u in (urls or []) if u.strip()]
        if not files and not urls:
            raise ApiError(400, "send files (multipart field 'files') and/or URLs (form field 'urls')",
                           code="no_documents")
        bad = [u for u in urls if not u.startswith(("http://", "https://"))]
        if bad:
            raise ApiError(400, f"not http(s) URLs: {bad}", code="bad_url")
        unsupported = []
        with tempfile.TemporaryDirectory(prefix="saferag-upload-") as tmp:
            inputs = list(urls)
            if files:
                folder = Path(tmp) / "files"
                folder.mkdir()
                for f in files:
                    name = Path(f.filename or "").name
                    if name and not name.startswith(".") and Path(name).suffix.lower() not in KINDS:
                        unsupported.append({"source": name, "reason": f"unsupported file type "
                                            f"{Path(name).suffix or '(no suffix)'!r}: saferag reads {SUPPORTED}"})
                        continue
                    await _save(f, folder, int(s.max_upload_mb * 2**20))
                inputs.append(str(folder))
            async with ingest_lock:  # one ingest at a time: it writes and flushes the collection
                report = await anyio.to_thread.run_sync(rag.ingest, inputs)
        report.failed.extend(unsupported)  # the same formats as a folder ingest; anything else said, not dropped
        return {"object": "ingest.report", "tenant": who, **report.to_dict()}

    @app.get("/v1/documents")
    async def list_documents(who: Tenant, collection: Annotated[str | None, Query()] = None) -> dict:
        rag = engine_for(collection, who)
        sources = await anyio.to_thread.run_sync(lambda: sorted(rag.store.sources()))
        return {"object": "list", "data": [{"source": src} for src in sources]}

    @app.delete("/v1/documents/{source:path}")
    async def delete_document(source: str, who: Tenant, collection: Annotated[str | None, Query()] = None) -> dict:
        rag = engine_for(collection, who)
        store = rag.store
        deleted = await anyio.to_thread.run_sync(store.delete_source, source)
        if not deleted:  # absent, or another tenant's: the same answer, so nothing leaks
            raise ApiError(404, f"no document {source!r}", code="document_not_found")
        await anyio.to_thread.run_sync(store.flush)
        return {"object": "document.deleted", "source": source, "chunks": deleted}

    # -- operations -------------------------------------------------------------------------

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            counts = await anyio.to_thread.run_sync(lambda: [engines[c].store.count() for c in collections])
            checks["milvus"] = f"ok ({sum(counts)} default-tenant chunks)"
        except SafeRagError as exc:
            checks["milvus"] = f"error: {exc}"
        checks["model"] = await anyio.to_thread.run_sync(_probe_model, root)
        ready = all(v.startswith("ok") for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                            status_code=200 if ready else 503)

    @app.get("/metrics")
    async def prometheus() -> Response:
        metrics.asks.set(asks.pending)
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        accept = ",".join(sorted(k for k, kind in KINDS.items() if kind != "macro"))  # what an upload may be
        return (resources.files("saferag.server") / "static" / "index.html").read_text().replace("__ACCEPT__", accept)

    app.add_middleware(BodyLimit, limit_for=lambda path: int(s.max_upload_mb * 2**20)
                       if path.startswith("/v1/documents") else int(s.max_request_kb * 1024))
    app.add_middleware(Observe, metrics=metrics)  # outermost: sees every response, 413s included
    return app


# -- helpers ----------------------------------------------------------------------------------

#: The suffixes an upload may have: those a folder ingest reads (macro-enabled Office files are reported).
SUPPORTED = ", ".join(sorted(k for k, kind in KINDS.items() if kind != "macro"))


async def _watch_disconnect(request: Request, cancel: threading.Event, scope: anyio.CancelScope) -> None:
    while not await request.is_disconnected():
        await anyio.sleep(0.25)
    cancel.set()
    scope.cancel()


async def _save(upload: UploadFile, folder: Path, limit: int) -> None:
    """Copy an upload (already spooled to disk by the multipart parser) under its bare file name."""
    name = Path(upload.filename or "").name
    if not name or name.startswith("."):
        raise ApiError(400, f"upload needs a file name, got {upload.filename!r}", code="bad_filename")
    size = 0
    with open(folder / name, "wb") as out:
        while chunk := await upload.read(2**20):
            size += len(chunk)
            if size > limit:
                raise ApiError(413, f"{name} is larger than {limit / 2**20:.1f} MiB (SAFERAG_MAX_UPLOAD_MB)",
                               code="request_too_large")
            out.write(chunk)


def _warm_up(root: SafeRag, engines: list[SafeRag]) -> None:
    """Open every collection and load the models before the first request (and fail fast)."""
    for engine in engines:
        _ = engine.store
    _ = root.generator
    if root.settings.guard != "off":
        _ = root.guard


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


def _as_api_error(exc: Exception) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, (ConfigError, InputNotFoundError, DocumentError)):
        return ApiError(400, str(exc), code=type(exc).__name__)
    if isinstance(exc, StoreError):
        return ApiError(503, str(exc), type="server_error", code="store_unavailable")
    if isinstance(exc, GeneratorError):
        return ApiError(502, str(exc), type="server_error", code="generator_failed")
    if isinstance(exc, Cancelled):
        return ApiError(499, str(exc), code="cancelled")
    if isinstance(exc, SafeRagError):
        return ApiError(400, str(exc), code=type(exc).__name__)
    log.exception("unexpected error", exc_info=exc)
    return ApiError(500, f"internal error: {type(exc).__name__}", type="server_error", code="internal")


def _extras(answer: Answer) -> dict[str, Any]:
    """saferag's additions to an OpenAI response: sources, the verdicts, notes, timings."""
    return {"sources": answer.sources, "guard": answer.guard, "question_guard": answer.question_guard,
            "refused": answer.refused, "notes": answer.notes, "timings": answer.timings,
            "condensed_query": answer.condensed_query}


def _completion(answer: Answer, model: str) -> dict[str, Any]:
    usage = {"prompt_tokens": answer.usage.get("prompt_tokens", 0),
             "completion_tokens": answer.usage.get("completion_tokens", 0)}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "usage": usage,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer},
                         "finish_reason": "content_filter" if answer.refused else "stop", "logprobs": None}],
            **_extras(answer)}


def _chunk(cid: str, created: int, model: str, delta: dict, finish: str | None = None) -> dict[str, Any]:
    return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}


def _sse(obj: dict) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

