"""Readers for the formats beyond HTML, Markdown and plain text, each returning ``Document`` objects.

=================  =============================================  =====================================
kind               reader                                          location marks, headings
=================  =============================================  =====================================
pdf                ``pdf.py`` (pypdf; ``ocr.py`` for scans)        ``page``; bookmarks (``outline.py``)
docx, pptx         ``office.py`` (python-docx, python-pptx)        heading styles; ``slide`` + slide titles
odt, odp           ``opendocument.py`` (lxml)                      ``text:h``; ``slide`` + slide titles
xlsx, ods, csv     ``tables.py`` (openpyxl, lxml, ``csv``)         ``sheet`` + sheet names
epub               ``epub.py`` (ebooklib, saferag's HTML reader)   chapter and section headings
rst                ``rst.py`` (docutils, saferag's HTML reader)    sections, Sphinx definitions; anchors
eml, mbox          ``mail.py`` (``email``, ``mailbox``)            subject, sender, date in metadata
msg                ``outlook.py`` (extract-msg)                    as eml (Outlook messages)
ipynb              ``notebook.py`` (nbformat)                      ``cell``; Markdown cells' headings
doc, rtf, xls, ppt ``legacy.py`` (LibreOffice → docx, xlsx, pptx)  as docx, xlsx, pptx (xlsb too)
image              ``images.py`` (Pillow, Tesseract)               ``page`` for multi-page TIFF
=================  =============================================  =====================================

``read`` runs in the parse worker (``worker.py``): every kind in ``WORKER_KINDS`` is parsed there, under
``parse_timeout`` and a memory limit, so that no file can hang or exhaust the ingest.
"""

from __future__ import annotations

from collections.abc import Callable

from saferag.errors import DocumentError
from saferag.ingest.document import Document
from saferag.ingest.formats.common import MACROS

#: Parsed in the worker process; everything else (html, markdown, text, csv) in the ingest's own process.
WORKER_KINDS = frozenset({"pdf", "rst", "docx", "pptx", "xlsx", "odt", "odp", "ods", "epub", "eml", "mbox", "msg",
                          "ipynb", "doc", "rtf", "xls", "ppt", "xlsb", "image", "macro"})
MAX_ATTACHMENT_DEPTH = 3  # a forwarded message in a forwarded message in a forwarded message


def read(kind: str, data: bytes, source: str, max_bytes: int, depth: int = 0, images: bool = False) -> list[Document]:
    """Parse one file of a worker kind in this process: its document(s) first, then its attachments' (their images
    read by OCR only with ``images``, as in a folder)."""
    if not data.strip():
        raise DocumentError("empty file")
    if kind == "macro":
        raise DocumentError(MACROS)
    if kind in ("eml", "mbox", "msg"):
        from saferag.ingest.formats import mail, outlook

        if kind == "mbox":
            messages = mail.read_mbox(data, source)
        else:
            messages = [mail.read_eml(data, source) if kind == "eml" else outlook.read_msg(data, source)]
        docs: list[Document] = []
        for doc, attachments in messages:
            docs.append(doc)
            for name, payload in attachments:
                docs.extend(_attachment(doc.source, name, payload, max_bytes, depth + 1, images))
        return docs
    return [_reader(kind)(data, source, max_bytes)]


def _reader(kind: str) -> Callable[[bytes, str, int], Document]:
    fn: Callable[[bytes, str, int], Document]
    if kind == "pdf":
        from saferag.ingest.formats.pdf import read_pdf as fn
    elif kind in ("docx", "pptx"):
        from saferag.ingest.formats import office

        fn = office.read_docx if kind == "docx" else office.read_pptx
    elif kind in ("odt", "odp"):
        from saferag.ingest.formats import opendocument

        fn = opendocument.read_odt if kind == "odt" else opendocument.read_odp
    elif kind in ("xlsx", "ods"):
        from saferag.ingest.formats import tables

        fn = tables.read_xlsx if kind == "xlsx" else tables.read_ods
    elif kind == "epub":
        from saferag.ingest.formats.epub import read_epub as fn
    elif kind == "rst":
        from saferag.ingest.formats.rst import read_rst as fn
    elif kind == "ipynb":
        from saferag.ingest.formats.notebook import read_ipynb as fn
    elif kind == "image":
        from saferag.ingest.formats.images import read_image as fn
    elif kind in ("doc", "rtf", "xls", "ppt", "xlsb"):
        from saferag.ingest.formats.legacy import read_legacy

        fn = read_legacy(kind)
    else:
        raise DocumentError(f"no reader for kind {kind!r}")
    return fn


def _attachment(parent: str, name: str, data: bytes, max_bytes: int, depth: int, images: bool) -> list[Document]:
    """An attachment's documents, or one failed ``Document`` saying why; [] for a type saferag does not read."""
    from saferag.ingest.extract import text_document
    from saferag.ingest.sources import kind_of

    source = f"{parent}/{name}"
    kind = kind_of(name, images)
    if kind is None:
        return []  # archives, programs, images without ``ocr_images``, …: not ingested, as in a folder
    try:
        if len(data) > max_bytes:
            raise DocumentError(f"attachment is {len(data) / 2**20:.0f} MiB, over the {max_bytes / 2**20:g} MiB limit")
        if depth > MAX_ATTACHMENT_DEPTH:
            raise DocumentError(f"attachment nested more than {MAX_ATTACHMENT_DEPTH} messages deep")
        if kind in WORKER_KINDS:
            docs = read(kind, data, source, max_bytes, depth, images)
        else:
            docs = [text_document(kind, data, source)]
    except DocumentError as exc:
        return [Document(source, kind, "", "", error=str(exc))]
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - one bad attachment must not lose the message
        return [Document(source, kind, "", "", error=f"could not parse: {type(exc).__name__}: {exc}")]
    for doc in docs:
        if not doc.error and not doc.text.strip():
            doc.error = "no text in document"
    return docs
