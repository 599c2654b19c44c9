"""PDF: the text layer page by page with pypdf; pages without one read by OCR (``ocr.py``) where Tesseract is
installed. Each page starts a ``page`` mark, and the outline (bookmarks) gives the headings (``outline.py``); a PDF
without one gets them from its type sizes (``typeset.py``). Running heads and page numbers are left out
(``furniture.py``)."""

from __future__ import annotations

import io
import itertools
import logging

from saferag.errors import DocumentError
from saferag.ingest.document import Document
from saferag.ingest.formats import ocr
from saferag.ingest.formats.common import unligature
from saferag.ingest.formats.furniture import furniture, strip_furniture
from saferag.ingest.formats.outline import outline_entries, outline_headings
from saferag.ingest.formats.typeset import TypeReader

NO_TEXT = "PDF has no text layer (scanned images need OCR first)"


def read_pdf(data: bytes, source: str, max_bytes: int = 0, *, use_ocr: bool = True) -> Document:
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
        # Without bookmarks, the headings come from the type, read in the same pass as the text.
        entries = outline_entries(reader)
        typeset = None if entries else TypeReader()
        texts = [((page.extract_text(visitor_text=typeset.visitor(i)) if typeset else page.extract_text()) or "")
                 .strip() for i, page in enumerate(reader.pages)]
        meta = reader.metadata
        title = str((meta.get("/Title") if meta else None) or "").strip()
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise DocumentError(f"corrupt PDF: {exc}") from None
    blank = [i for i, text in enumerate(texts) if not text]
    ocr_used = False
    if blank and use_ocr:
        why = ocr.unavailable()
        if why and len(blank) == len(texts):
            raise DocumentError(f"{NO_TEXT}: {why}")
        if not why:
            for i, text in ocr.ocr_pages(data, blank).items():
                texts[i] = text
            ocr_used = True
    texts = [unligature(text) for text in texts]  # before any offset is taken
    starts = _starts(texts)
    headings = typeset.headings(texts, starts) if typeset else outline_headings(reader, entries, texts, starts)
    texts, headings = strip_furniture(texts, furniture(texts), headings, starts)
    text = "\n\n".join(texts)
    if not text.strip():
        raise DocumentError(f"{NO_TEXT}; OCR found no text either" if ocr_used else NO_TEXT)
    marks: list[tuple[int, str, int | str]] = [(at, "page", n) for n, at in enumerate(_starts(texts), 1)]
    doc = Document(source, "pdf", text, title, marks=marks, metadata={"ocr": True} if ocr_used else {})
    doc.headings = headings
    return doc


def _starts(texts: list[str]) -> list[int]:
    """Where each page starts in the pages joined by a blank line."""
    return list(itertools.accumulate((len(t) + 2 for t in texts), initial=0))[:-1]
