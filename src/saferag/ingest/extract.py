"""Bytes → documents for each supported kind, with the checks that turn bad files into clear reasons.

HTML, Markdown, CSV and plain text are read here; every other kind (PDF, reStructuredText, Office, OpenDocument,
EPUB, e-mail) in the parse worker (``formats/worker.py``), under a deadline and a memory limit.
"""

from __future__ import annotations

import re

from saferag.errors import DocumentError
from saferag.ingest.document import Document
from saferag.ingest.formats import WORKER_KINDS
from saferag.ingest.formats.tables import read_csv
from saferag.ingest.formats.worker import Parser
from saferag.ingest import asciidoc, frontmatter, mdx
from saferag.ingest.headings import markdown_headings
from saferag.ingest.html import html_to_text
from saferag.ingest.sources import RawDocument
from saferag.ingest.titles import document_title

__all__ = ["Document", "Parser", "text_document", "to_documents", "to_text"]

#: Rule FM1 (benchmarks/retrieval_rules.md): a Markdown page's front matter read as its metadata, not as text.
FRONT_MATTER = True
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)


def to_documents(raw: RawDocument, *, parser: Parser | None = None, parse_timeout: float = 120.0,
                 max_bytes: int = 100 << 20, images: bool = False) -> list[Document]:
    """The documents in a raw file: the file's own first, then those it carries (an e-mail's attachments, with
    sources ``<source>/<file name>``; a mailbox's messages). Raises ``DocumentError`` when the file itself cannot
    be used; an attachment that cannot be is in the list as a ``Document`` whose ``error`` says why.

    Kinds in ``formats.WORKER_KINDS`` are parsed in a worker process (``parser``, or one started for this call)
    that is killed after ``parse_timeout`` seconds; ``images`` reads its attachments' images by OCR (a ``parser``
    handed in has its own setting).
    """
    if not raw.data.strip():
        raise DocumentError("empty file")
    if raw.kind not in WORKER_KINDS:
        docs = [text_document(raw.kind, raw.data, raw.ref.source, raw.charset)]
    elif parser is not None:
        docs = parser.parse(raw.kind, raw.data, raw.ref.source)
    else:
        with Parser(timeout=parse_timeout, max_bytes=max_bytes, images=images) as own:
            docs = own.parse(raw.kind, raw.data, raw.ref.source)
    if not docs or not docs[0].text.strip():
        raise DocumentError("no text in document")
    for doc in docs:
        doc.title = document_title(doc.title)
        if not doc.error and not doc.text.strip():
            doc.error = "no text in document"
    return docs


def to_text(raw: RawDocument, *, parser: Parser | None = None) -> Document:
    """Turn a raw file into its (first) document; raise ``DocumentError`` saying why it cannot be used."""
    return to_documents(raw, parser=parser)[0]


def text_document(kind: str, data: bytes, source: str, charset: str | None = None) -> Document:
    """HTML, Markdown, CSV or plain text, parsed in this process."""
    if not data.strip():
        raise DocumentError("empty file")
    if b"\x00" in data[:8192]:
        raise DocumentError("binary file, not text (NUL bytes)")
    decoded = _decode(data, kind, charset)
    if kind == "html":
        page = html_to_text(decoded)
        if not page.text:
            raise DocumentError("no text found in HTML (malformed or empty page)")
        doc = Document(source, "html", page.text, page.title, headings=page.headings)
    elif kind in ("markdown", "mdx", "asciidoc"):
        markdown = mdx.to_markdown(decoded) if kind == "mdx" else (
            asciidoc.to_markdown(decoded) if kind == "asciidoc" else decoded)
        doc = markdown_document(markdown, source)
    elif kind == "csv":
        doc = read_csv(decoded, source)
    else:
        doc = Document(source, kind, decoded.strip(), "")
    if not doc.text.strip():
        raise DocumentError("no text in document")
    return doc


def markdown_document(text: str, source: str) -> Document:
    """A Markdown page: its headings, and its title from the first level-1 heading, else from its front matter
    (``frontmatter.py``), whose description opens the text."""
    meta, body = frontmatter.split(text) if FRONT_MATTER else (None, text)
    if meta is not None and meta.description:
        body = f"{meta.description}\n\n{body.lstrip()}"
    body = body.strip()
    headings = markdown_headings(body)
    title = next((h.text for h in headings if h.level == 1), "")  # not a "# comment" in a code block
    return Document(source, "markdown", body, title or (meta.title if meta else ""), headings=headings)


def _decode(data: bytes, kind: str, charset: str | None) -> str:
    """UTF-8 (BOM allowed), or the charset the document or its HTTP response declares."""
    declared = charset
    if declared is None and kind == "html":
        m = _META_CHARSET.search(data[:4096])
        declared = m.group(1).decode("ascii").lower() if m else None
    if declared and declared.replace("-", "") not in ("utf8", "usascii", "ascii"):
        try:
            return data.decode(declared)
        except LookupError:
            raise DocumentError(f"unknown charset {declared!r}") from None
        except UnicodeDecodeError as exc:
            raise DocumentError(f"invalid {declared} at byte {exc.start}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"invalid UTF-8 at byte {exc.start}") from None
