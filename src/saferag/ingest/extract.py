"""Bytes → text for each supported kind, with the checks that turn bad files into clear reasons."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field

from saferag.errors import DocumentError
from saferag.ingest.html import html_to_text
from saferag.ingest.sources import RawDocument

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)
_MD_TITLE = re.compile(r"^#\s+(.+)$", re.MULTILINE)


@dataclass
class Document:
    """A document as text, ready to split."""

    source: str
    kind: str
    text: str
    title: str
    #: Start offset in ``text`` of each PDF page (page 1 first); empty for other kinds.
    page_starts: list[int] = field(default_factory=list)


def to_text(raw: RawDocument) -> Document:
    """Turn a raw document into text; raise ``DocumentError`` saying why it cannot be used."""
    if not raw.data.strip():
        raise DocumentError("empty file")
    if raw.kind == "pdf":
        text, title, pages = _pdf_text(raw.data)
        doc = Document(raw.ref.source, "pdf", text, title, pages)
    else:
        if b"\x00" in raw.data[:8192]:
            raise DocumentError("binary file, not text (NUL bytes)")
        decoded = _decode(raw)
        if raw.kind == "html":
            page = html_to_text(decoded)
            if not page.text:
                raise DocumentError("no text found in HTML (malformed or empty page)")
            doc = Document(raw.ref.source, "html", page.text, page.title)
        else:
            m = _MD_TITLE.search(decoded) if raw.kind == "markdown" else None
            doc = Document(raw.ref.source, raw.kind, decoded.strip(), m.group(1).strip() if m else "")
    if not doc.text.strip():
        raise DocumentError("no text in document")
    return doc


def _decode(raw: RawDocument) -> str:
    """UTF-8 (BOM allowed), or the charset the document or its HTTP response declares."""
    declared = raw.charset
    if declared is None and raw.kind == "html":
        m = _META_CHARSET.search(raw.data[:4096])
        declared = m.group(1).decode("ascii").lower() if m else None
    if declared and declared.replace("-", "") not in ("utf8", "usascii", "ascii"):
        try:
            return raw.data.decode(declared)
        except LookupError:
            raise DocumentError(f"unknown charset {declared!r}") from None
        except UnicodeDecodeError as exc:
            raise DocumentError(f"invalid {declared} at byte {exc.start}") from None
    try:
        return raw.data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"invalid UTF-8 at byte {exc.start}") from None


def _pdf_text(data: bytes) -> tuple[str, str, list[int]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not data.lstrip()[:5] == b"%PDF-":
        raise DocumentError("corrupt PDF: no %PDF header")
    # pypdf logs every recoverable oddity of a damaged file; the reason we report is enough.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError("encrypted PDF")
        parts, starts, offset = [], [], 0
        for page in reader.pages:
            starts.append(offset)
            page_text = (page.extract_text() or "").strip()
            parts.append(page_text)
            offset += len(page_text) + 2
        title = str((reader.metadata or {}).get("/Title") or "").strip()
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise DocumentError(f"corrupt PDF: {exc}") from None
    text = "\n\n".join(parts)
    if not text.strip():
        raise DocumentError("PDF has no text layer (scanned images need OCR first)")
    return text, title, starts
