"""OpenDocument text (.odt) and presentations (.odp), read from the package's XML with lxml.

odfpy, the OpenDocument library, parsed the benchmark's files about as fast (docs/formats.md), but its tree is
walked the same way and it is one more package: lxml comes with python-docx anyway. The tests write their files
with odfpy. Text: ``text:h`` with its outline level becomes a heading, and so does a paragraph in the ``Title``
style or set apart by hand in bold or a larger size (``handset.py``, ``odf_styles.py``); paragraphs and lists in
document order, tables as one line per row naming its columns. Presentations:
one section per ``draw:page``, its title a level-1 heading with anchor ``slide-N`` and a ``slide`` mark.
Spreadsheets (.ods) are read in ``tables.py`` with the helpers here.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass

from saferag.errors import DocumentError
from saferag.ingest.document import Document
from saferag.ingest.formats.common import TextBuilder, need, one_line, open_package, read_part, table_lines
from saferag.ingest.formats.handset import Para
from saferag.ingest.formats.handset import levels as heading_levels
from saferag.ingest.formats.odf_styles import OdfStyles
from saferag.ingest.titles import document_title

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}


def q(name: str) -> str:
    """``text:p`` → ``{urn:…:text:1.0}p``."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


_SPACE, _TAB, _BREAK, _FRAME, _NOTE = q("text:s"), q("text:tab"), q("text:line-break"), q("draw:frame"), q("text:note")
_SKIP = {q("office:annotation"), q("office:annotation-end"), q("text:tracked-changes"), q("text:bookmark-ref"),
         q("draw:image"), q("presentation:notes")}
_NOT_OWN = frozenset({*_SKIP, _NOTE, _FRAME})  # not a paragraph's own words: left out, or said apart (``asides``)
_BLOCKS = {q("text:p"), q("text:h")}
_CONTAINERS = {q("text:list"), q("text:list-item"), q("text:list-header"), q("text:section"), q("draw:frame"),
               q("draw:text-box"), q("draw:custom-shape"), q("draw:g"), q("text:index-body"),
               q("office:forms"), q("table:table-header-rows"), q("table:table-rows")}
_TOC = {q("text:table-of-content"), q("text:alphabetical-index"), q("text:illustration-index")}


def _parser():
    """lxml's parser with entities, the network and huge trees off (a package is untrusted input)."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def open_odf(data: bytes, label: str, max_bytes: int, body: str):
    """The checked package, its ``office:body/<body>`` element and its title (``dc:title``)."""
    etree = need("lxml.etree", label.split()[0])
    archive = open_package(data, label, max_bytes)
    manifest = archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in archive.namelist() else b""
    if b"encryption-data" in manifest:
        raise DocumentError(f"password-protected {label} (encrypted): save a copy without a password")
    parser = _parser()
    try:
        root = etree.fromstring(read_part(archive, "content.xml", label), parser)
        meta = etree.fromstring(archive.read("meta.xml"), parser) if "meta.xml" in archive.namelist() else None
    except (etree.XMLSyntaxError, zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise DocumentError(f"corrupt {label}: {exc}") from None
    found = root.find(f"{q('office:body')}/{q(body)}")
    if found is None:
        raise DocumentError(f"not a {label}: no office:{body.split(':')[1]} body")
    title = ""
    if meta is not None and (el := meta.find(f".//{q('dc:title')}")) is not None:
        title = one_line(el.text or "")
    return archive, found, title


def odf_text(el, asides: list[str] | None = None) -> str:
    """An element's text as shown: ``text:s`` spaces, tabs and line breaks kept, comments left out. With
    ``asides``, footnotes and text boxes anchored in it are not run into its text but appended there (a heading's
    words are its own)."""
    out: list[str] = []

    def walk(node) -> None:
        if node.text:
            out.append(node.text)
        for child in node:
            tag = child.tag
            if tag == _SPACE:
                out.append(" " * int(child.get(q("text:c"), "1") or 1))
            elif tag == _TAB:
                out.append("\t")
            elif tag == _BREAK:
                out.append("\n")
            elif asides is not None and tag in (_FRAME, _NOTE):
                body = child.find(q("text:note-body")) if tag == _NOTE else child
                if body is not None and (text := odf_text(body).strip()):
                    asides.append(text)
            elif tag == _FRAME:  # a text box anchored in the paragraph: its own lines
                out.extend(("\n", odf_text(child), "\n"))
            elif tag not in _SKIP:
                walk(child)
            if child.tail:
                out.append(child.tail)

    walk(el)
    return "".join(out)


def table_rows(table, max_repeat: int = 1000):
    """A ``table:table``'s rows as lists of cell texts; repeated rows and cells expanded only when not empty."""
    for row in table.iter(q("table:table-row")):
        cells: list[str] = []
        for cell in row:
            if cell.tag not in (q("table:table-cell"), q("table:covered-table-cell")):
                continue
            text = "\n".join(odf_text(p) for p in cell.iter(q("text:p")))
            repeat = int(cell.get(q("table:number-columns-repeated"), "1") or 1)
            cells.extend([text] * (min(repeat, max_repeat) if text.strip() else min(repeat, 1)))
        while cells and not cells[-1].strip():
            cells.pop()
        if not cells:
            continue
        repeat = int(row.get(q("table:number-rows-repeated"), "1") or 1)
        for _ in range(min(repeat, max_repeat)):
            yield cells


_LISTS = {q("text:list"), q("text:list-item"), q("text:list-header")}
_BOXES = {q("draw:frame"), q("draw:text-box"), q("draw:custom-shape"), q("draw:g")}


@dataclass
class _Paragraph:
    """A paragraph as the hand-set rule sees it (its own words), its text as read (footnotes and text boxes run
    in), and those footnotes and boxes apart (said after it when it is a heading)."""

    para: Para
    text: str
    asides: str


Block = _Paragraph | list[str]  # a paragraph, or a table's lines


def _blocks(node, styles: OdfStyles | None, out: list[Block], apart: bool = False) -> list[Block]:
    """Paragraphs, headings and tables under ``node`` in document order; with ``styles``, each paragraph's type
    too, for the hand-set heading rule. ``apart``: inside a list or a text box, where no line is a hand-set title."""
    for child in node:
        tag = child.tag
        if tag in _BLOCKS:
            styled = 0
            if tag == q("text:h"):
                level = child.get(q("text:outline-level"), "1")
                styled = min(int(level), 10) if level.isascii() and level.isdigit() and int(level) > 0 else 1
            asides: list[str] = []
            own = odf_text(child, asides)
            para = styles.para(child, own, styled, apart) if styles else Para(own, styled, apart)
            out.append(_Paragraph(para, odf_text(child) if asides else own, "\n".join(asides)))
        elif tag == q("table:table"):
            out.append(list(table_lines(table_rows(child))))
        elif tag in _CONTAINERS:
            _blocks(child, styles, out, apart or tag in _LISTS or tag in _BOXES)
        # a table of contents (``_TOC``) repeats the headings: left out
    return out


def _emit(blocks: list[Block], b: TextBuilder, hand_set: bool) -> None:
    """Write the blocks, paragraphs at their heading level: styled only, or by the hand-set rule too. A heading is
    its own words, its footnotes and text boxes a paragraph after it."""
    paras = [x.para for x in blocks if isinstance(x, _Paragraph)]
    found = iter(heading_levels(paras) if hand_set else [p.styled for p in paras])
    for item in blocks:
        if not isinstance(item, _Paragraph):
            b.lines(item)
        elif level := next(found):
            b.heading(item.para.text, level)
            if item.asides:
                b.add(item.asides)
        else:
            b.add(item.text)


def read_odt(data: bytes, source: str, max_bytes: int) -> Document:
    archive, body, title = open_odf(data, ".odt file", max_bytes, "office:text")
    title = document_title(title)  # a placeholder gives way to the first heading
    styles = OdfStyles(body.getroottree().getroot(), _styles_root(archive), _NOT_OWN)
    b = TextBuilder()
    _emit(_blocks(body, styles, []), b, hand_set=True)
    if not title and b.headings:
        title = b.headings[0].text
    return b.document(source, "odt", title)


def _styles_root(archive: zipfile.ZipFile):
    """styles.xml's tree, or None when the package has none or it does not parse (its styles are then unknown,
    and only the text's own automatic styles are read)."""
    from lxml import etree

    if "styles.xml" not in archive.namelist():
        return None
    try:
        return etree.fromstring(archive.read("styles.xml"), _parser())
    except Exception:  # any damage (bad zlib data, an unknown compression, bad XML): the styles are unknown
        return None


_PAGE_NAME = re.compile(r"^(page|slide)\s*\d+$", re.IGNORECASE)


def read_odp(data: bytes, source: str, max_bytes: int) -> Document:
    _, body, title = open_odf(data, ".odp file", max_bytes, "office:presentation")
    b = TextBuilder()
    first_title = ""
    for number, page in enumerate(body.iter(q("draw:page")), 1):
        heading, rest, notes = "", [], []
        for frame in page:
            cls = frame.get(q("presentation:class"), "")
            if frame.tag == q("presentation:notes"):
                notes = [one_line(odf_text(p)) for p in frame.iter(q("text:p"))]
            elif cls == "title" and not heading:
                heading = one_line(odf_text(frame))
            else:
                rest.append(frame)
        name = page.get(q("draw:name"), "")
        heading = heading or ("" if _PAGE_NAME.match(name) else one_line(name)) or f"Slide {number}"
        first_title = first_title or heading
        b.mark("slide", number)
        b.heading(heading, 1, f"slide-{number}")
        for frame in rest:
            _emit(_blocks([frame], None, []), b, hand_set=False)
        if any(notes):
            b.add("Notes: " + " ".join(n for n in notes if n))
    return b.document(source, "odp", document_title(title) or first_title)
