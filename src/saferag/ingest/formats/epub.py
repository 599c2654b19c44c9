"""EPUB e-books with ebooklib: the chapters in reading (spine) order, each XHTML chapter read whole by saferag's HTML
reader, so chapter and section headings (h1–h6) become the document's headings."""

from __future__ import annotations

import io
import re
import warnings
import zipfile

from saferag.errors import DocumentError
from saferag.ingest.document import Document
from saferag.ingest.formats.common import TextBuilder, need, one_line, open_package, table_lines
from saferag.ingest.headings import Heading
from saferag.ingest.html import html_to_text

_ENCRYPTED_TEXT = re.compile(rb"""URI\s*=\s*["'][^"']+\.(x?html?|xml|ncx|opf)["']""", re.IGNORECASE)


def read_epub(data: bytes, source: str, max_bytes: int) -> Document:
    archive = open_package(data, ".epub file", max_bytes)
    if "META-INF/encryption.xml" in archive.namelist():
        # Fonts may be obfuscated legitimately; encrypted chapters mean DRM.
        if _ENCRYPTED_TEXT.search(archive.read("META-INF/encryption.xml")):
            raise DocumentError("encrypted (DRM-protected) e-book: its chapters cannot be read")
    need("ebooklib", ".epub")
    from ebooklib import ITEM_DOCUMENT, epub
    from lxml.etree import XMLSyntaxError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ebooklib warns about its own future defaults
            book = epub.read_epub(io.BytesIO(data), options={"ignore_ncx": True})
    except (epub.EpubException, KeyError, ValueError, TypeError, AttributeError, IndexError, zipfile.BadZipFile,
            XMLSyntaxError, OSError, EOFError) as exc:
        raise DocumentError(f"corrupt .epub file: {exc}") from None
    b = TextBuilder()
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ITEM_DOCUMENT:
            continue
        try:
            # read whole: a chapter is the book's text, with no navigation for the web main-content filter to
            # take out (it took out notes and lists, a quarter of a rendered manual's text)
            chapter = html_to_text(_tables_as_rows(item.get_content()), main_content=False)
        except (KeyError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise DocumentError(f"corrupt .epub file: {exc}") from None
        start = b.add(chapter.text)
        if start >= 0:
            b.headings.extend(Heading(start + h.start, h.level, h.text) for h in chapter.headings)
    titles = book.get_metadata("DC", "title")
    title = one_line(titles[0][0]) if titles and titles[0][0] else ""
    return b.document(source, "epub", title)


def _tables_as_rows(xhtml: bytes) -> str:
    """The chapter with each table replaced by one paragraph per row that names its columns."""
    text = xhtml.decode("utf-8", "replace")
    if "<table" not in text.lower():
        return text
    import lxml.html

    try:
        root = lxml.html.document_fromstring(xhtml)
    except (ValueError, lxml.etree.ParserError):
        return text
    for table in reversed(root.xpath("//table")):
        rows = [[cell.text_content() for cell in tr.xpath("./th|./td")] for tr in table.xpath(".//tr")]
        block = lxml.html.Element("div")
        for line in table_lines(rows):
            para = lxml.html.Element("p")
            para.text = line
            block.append(para)
        block.tail = table.tail
        table.getparent().replace(table, block)
    return lxml.html.tostring(root, encoding="unicode")
