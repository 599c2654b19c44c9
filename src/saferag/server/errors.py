"""Errors as the API answers them: OpenAI's ``{"error": {"message", "type", "code"}}`` everywhere, with the status
that says whose fault it was (a bad request, a store or model that is down, a cancelled ask)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from saferag.errors import (Cancelled, ConfigError, DocumentError, GeneratorError, InputNotFoundError,
                            SafeRagError, StoreError)

log = logging.getLogger("saferag.server")


class ApiError(Exception):
    """An error answered as OpenAI's ``{"error": {"message", "type", "code"}}`` with ``status``."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error", code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.headers = status, message, type, code, headers or {}

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "code": self.code}}


def as_api_error(exc: Exception) -> ApiError:
    """The API's answer to an exception from saferag (or anything else: a 500 that names only its type)."""
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


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
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


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(ApiError(exc.status_code, str(exc.detail), code=None).body(), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _saferag_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(as_api_error(exc).body(), status_code=as_api_error(exc).status)


def install_error_handlers(app: FastAPI) -> None:
    """Every error in OpenAI's shape: ours, request validation, Starlette's own (404, 405), saferag's."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(SafeRagError, _saferag_error)
