"""The documents API: upload files and URLs to ingest (``POST /v1/documents``), list a tenant's sources, delete
one. Uploads are read with the same readers as a folder ingest; anything else is reported, not dropped."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, File, Form, Query, UploadFile

from saferag.ingest.report import IngestReport
from saferag.ingest.sources import is_url, upload_suffixes
from saferag.server.auth import Tenant
from saferag.server.errors import ApiError
from saferag.server.service import Svc

router = APIRouter()

#: The suffixes an upload may have (``sources.upload_suffixes``).
SUFFIXES = frozenset(upload_suffixes())
SUPPORTED = ", ".join(sorted(SUFFIXES))


@router.post("/v1/documents")
async def add_documents(who: Tenant, svc: Svc,
                        files: Annotated[list[UploadFile] | None, File()] = None,
                        urls: Annotated[list[str] | None, Form()] = None,
                        collection: Annotated[str | None, Query()] = None) -> dict:
    rag = svc.engine_for(collection, who)
    urls = [u for u in (urls or []) if u.strip()]
    if not files and not urls:
        raise ApiError(400, "send files (multipart field 'files') and/or URLs (form field 'urls')",
                       code="no_documents")
    bad = [u for u in urls if not is_url(u)]
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
                if name and not name.startswith(".") and Path(name).suffix.lower() not in SUFFIXES:
                    unsupported.append({"source": name, "reason": f"unsupported file type "
                                        f"{Path(name).suffix or '(no suffix)'!r}: saferag reads {SUPPORTED}"})
                    continue
                await _save(f, folder, int(svc.settings.max_upload_mb * 2**20))
                # Each file named on its own, as `saferag ingest FILE` does: an uploaded image is read by OCR.
                if str(folder / name) not in inputs:
                    inputs.append(str(folder / name))
        async with svc.ingest_lock:  # one ingest at a time: it writes and flushes the collection
            report = await anyio.to_thread.run_sync(rag.ingest, inputs) if inputs else IngestReport()
    report.failed.extend(unsupported)  # the same formats as a folder ingest; anything else said, not dropped
    return {"object": "ingest.report", "tenant": who, **report.to_dict()}


@router.get("/v1/documents")
async def list_documents(who: Tenant, svc: Svc, collection: Annotated[str | None, Query()] = None) -> dict:
    rag = svc.engine_for(collection, who)
    sources = await anyio.to_thread.run_sync(rag.documents)
    return {"object": "list", "data": [{"source": src} for src in sources]}


@router.delete("/v1/documents/{source:path}")
async def delete_document(source: str, who: Tenant, svc: Svc, collection: Annotated[str | None, Query()] = None
                          ) -> dict:
    rag = svc.engine_for(collection, who)
    deleted = await anyio.to_thread.run_sync(rag.delete, source)
    if not deleted:  # absent, or another tenant's: the same answer, so nothing leaks
        raise ApiError(404, f"no document {source!r}", code="document_not_found")
    return {"object": "document.deleted", "source": source, "chunks": deleted}


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
