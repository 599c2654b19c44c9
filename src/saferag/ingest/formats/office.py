"""Word (.docx) and PowerPoint (.pptx) with python-docx and python-pptx (chosen in docs/formats.md).

Word: paragraphs and tables in document order; ``Heading N`` / ``Title`` styles (or an outline level) become
headings, and so do headings set by hand in bold or a larger size (``handset.py``); each table row is one
line that names its columns. Text Word shows inside a wrapper python-docx does not look into (a tracked insertion,
a content control, a smart tag, a simple field) is read too (``_unwrap``). PowerPoint: one section per slide, its
title a level-1 heading with anchor ``slide-N`` and a ``slide`` mark; text boxes top to bottom, tables as rows,
the speaker notes last.
"""

from __future__ import annotations

import io
import re
import zipfile

from saferag.errors import DocumentError
from saferag.ingest.document import Document
from saferag.ingest.formats.common import TextBuilder, need, one_line, open_package, table_lines
from saferag.ingest.formats.handset import Para
from saferag.ingest.formats.handset import levels as heading_levels
from saferag.ingest.formats.slide_graphics import chart_lines, smartart_lines
from saferag.ingest.formats.word_headings import W as _W
from saferag.ingest.formats.word_headings import Fonts
from saferag.ingest.titles import document_title

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
# Elements whose content Word shows in place, at any level (body, table, row, cell, paragraph). python-docx reads only
# paragraphs, tables, rows, cells and runs that are direct children, so it would drop the text inside them:
# tracked insertions and moves (accepted, as Word prints them; deletions are left out), content controls (``sdt``:
# cover pages, forms, templates), custom XML and smart tags, simple fields. Written by hand: no library keeps
# python-docx's styles and tables and reads these too.
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_WRAPPERS = tuple(f"{_W}{tag}" for tag in ("ins", "moveTo", "sdt", "customXml", "smartTag", "fldSimple"))


def _load(module: str, what: str, data: bytes, max_bytes: int, opener: str):
    open_package(data, what, max_bytes)
    lib = need(module, what.split()[0])
    from lxml.etree import XMLSyntaxError

    try:
        return getattr(lib, opener)(io.BytesIO(data))
    except (KeyError, ValueError, TypeError, AttributeError, IndexError, zipfile.BadZipFile, XMLSyntaxError,
            OSError, EOFError) as exc:
        raise DocumentError(f"corrupt {what}: {type(exc).__name__}: {exc}") from None
    except Exception as exc:  # the libraries' own PackageNotFoundError / InvalidXmlError
        if type(exc).__module__.startswith(("docx", "pptx")):
            raise DocumentError(f"corrupt {what}: {exc}") from None
        raise


# -- Word ---------------------------------------------------------------------------------------------------------

def read_docx(data: bytes, source: str, max_bytes: int) -> Document:
    doc = _load("docx", ".docx file", data, max_bytes, "Document")
    from docx.table import Table

    _unwrap(doc.element.body)

    fonts = Fonts(doc)
    notes = _notes(doc)
    blocks: list[Table | Para] = []
    asides: dict[int, str] = {}  # block index → the text of the notes it refers to, said after it
    levels: dict[str | None, int] = {}  # style id → heading level: python-docx looks a style up by a linear scan
    for block in doc.iter_inner_content():
        element = block._tbl if isinstance(block, Table) else block._p
        if said := [notes[ref] for ref in _note_refs(element) if notes.get(ref)] + _text_boxes(element):
            asides[len(blocks)] = "\n\n".join(said)
        if isinstance(block, Table):
            blocks.append(block)
            continue
        level = _outline_level(block._p)
        if level is None:
            style_id = block._p.style
            if style_id not in levels:
                levels[style_id] = _style_level(block.style)
            level = levels[style_id]
        blocks.append(fonts.para(block, block.text, level))
    paras_levels = iter(heading_levels([p for p in blocks if isinstance(p, Para)]))  # one per paragraph, in order
    b = TextBuilder()
    first_title = ""
    for i, item in enumerate(blocks):
        if not isinstance(item, Para):
            b.lines(table_lines(_docx_rows(item)))
        elif level := next(paras_levels):
            if not first_title and item.text.strip():
                first_title = one_line(item.text)
            b.heading(item.text, level)
        else:
            b.add(item.text)
        if i in asides:
            b.add(asides[i])
    title = document_title(doc.core_properties.title or "") or first_title  # a placeholder gives way to the heading
    return b.document(source, "docx", title)


def _unwrap(body) -> None:
    """Replace each wrapper in ``body`` by what it shows, so that python-docx reads that as its own content. A
    content control still showing its placeholder ("Click or tap here to enter text.") shows nothing of the author's:
    it is removed."""
    for element in list(body.iter(*_WRAPPERS)):
        parent = element.getparent()
        if parent is None:
            continue
        content: list = list(element)
        if element.tag == f"{_W}sdt":
            props, shown = element.find(f"{_W}sdtPr"), element.find(f"{_W}sdtContent")
            placeholder = props is not None and props.find(f"{_W}showingPlcHdr") is not None
            content = [] if shown is None else list(shown)
            if placeholder:  # its cells or rows stay, empty, so that the table keeps its shape
                content = [child for child in content if child.tag in (f"{_W}tc", f"{_W}tr")]
                for run in [run for child in content for run in child.iter(f"{_W}r")]:
                    run.getparent().remove(run)
        elif element.tag == f"{_W}customXml":
            content = [child for child in element if child.tag != f"{_W}customXmlPr"]
        elif element.tag == f"{_W}smartTag":
            content = [child for child in element if child.tag != f"{_W}smartTagPr"]
        at = parent.index(element)
        parent.remove(element)
        for offset, child in enumerate(content):
            parent.insert(at + offset, child)


def _notes(doc) -> dict[tuple[str, str], str]:
    """Each footnote's and endnote's text by (kind, id). python-docx does not read the notes parts (written by hand,
    as ``_unwrap``); a note is said after the paragraph or table that refers to it, as the OpenDocument reader does."""
    from docx.oxml import parse_xml

    out: dict[tuple[str, str], str] = {}
    for rel in doc.part.rels.values():
        kind = rel.reltype.rsplit("/", 1)[-1]
        if kind not in ("footnotes", "endnotes") or rel.is_external:
            continue
        root = parse_xml(rel.target_part.blob)  # python-docx's parser: no entities, no network
        _unwrap(root)
        for note in root.iter(f"{_W}{kind[:-1]}"):
            out[(kind[:-1], note.get(f"{_W}id", ""))] = _lines(note)
    return out


def _note_refs(element) -> list[tuple[str, str]]:
    """(kind, id) of the footnotes and endnotes a paragraph or table refers to, in order."""
    return [(ref.tag[len(_W):-len("Reference")], ref.get(f"{_W}id", ""))
            for ref in element.iter(f"{_W}footnoteReference", f"{_W}endnoteReference")]


def _text_boxes(element) -> list[str]:
    """The text of each text box anchored in a paragraph or table, which python-docx does not read. A text box is
    written twice, as a drawing and as a VML fallback for old readers: the fallback is skipped."""
    out = []
    for box in element.iter(f"{_W}txbxContent"):
        if any(up.tag in (_FALLBACK, f"{_W}txbxContent") for up in box.iterancestors()):
            continue  # the fallback copy, or a box inside a box (read with its outer box)
        if text := _lines(box):
            out.append(text)
    return out


def _lines(element) -> str:
    """A note's or a text box's paragraphs, one line each (empty ones left out)."""
    paras = ("".join(run.text for run in p.iter(f"{_W}r")).strip() for p in element.iter(f"{_W}p"))
    return "\n".join(text for text in paras if text)


def _outline_level(element) -> int | None:
    """1–9 from an outline level set on the paragraph or style element itself, 0 for body text, None if unset."""
    ppr = element.find(f"{_W}pPr") if element is not None else None
    lvl = ppr.find(f"{_W}outlineLvl") if ppr is not None else None
    if lvl is None:
        return None
    value = lvl.get(f"{_W}val", "9")
    return int(value) + 1 if value.isdigit() and int(value) < 9 else 0


def _style_level(style) -> int:
    """1–9 for a heading style (``Title``, ``Heading N``, or an outline level in the style), else 0."""
    if style is None:
        return 0
    name = style.name or ""
    if name.lower() == "title":
        return 1
    if m := _HEADING_STYLE.match(name):
        return max(1, int(m.group(1)))
    return _outline_level(style.element) or 0


def _docx_rows(table):
    from docx.table import _Cell

    for row in table.rows:
        try:
            row_cells = row.cells
        except ValueError:  # a cell "continuing" a vertical merge from above the first row: Word opens such files
            row_cells = [_Cell(tc, table) for tc in row._tr.tc_lst]
        cells, last = [], None
        for cell in row_cells:  # a merged cell is repeated once per grid column it spans
            if cell._tc is not last:
                cells.append(cell.text)
                last = cell._tc
        yield cells


# -- PowerPoint ---------------------------------------------------------------------------------------------------

def read_pptx(data: bytes, source: str, max_bytes: int) -> Document:
    prs = _load("pptx", ".pptx file", data, max_bytes, "Presentation")
    b = TextBuilder()
    first_title = ""
    for number, slide in enumerate(prs.slides, 1):
        title_shape = slide.shapes.title
        title = one_line(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame \
            else ""
        first_title = first_title or title
        b.mark("slide", number)
        b.heading(title or f"Slide {number}", 1, f"slide-{number}")
        for shape in _ordered(slide.shapes):
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            _shape_text(shape, b)
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None and notes.text.strip():
                b.add("Notes: " + notes.text.strip())
    title = document_title(prs.core_properties.title or "") or first_title  # "PowerPoint Presentation" is none
    return b.document(source, "pptx", title)


def _ordered(shapes):
    """Top to bottom, then left to right: the reading order of most slides."""
    return sorted(shapes, key=lambda s: (s.top or 0, s.left or 0))


def _shape_text(shape, b: TextBuilder) -> None:
    from pptx.shapes.graphfrm import GraphicFrame
    from pptx.shapes.group import GroupShape

    if isinstance(shape, GroupShape):
        for inner in _ordered(shape.shapes):
            _shape_text(inner, b)
    elif getattr(shape, "has_table", False) and shape.has_table:
        b.lines(table_lines([[c.text for c in row.cells] for row in shape.table.rows]))
    elif isinstance(shape, GraphicFrame):  # a chart or SmartArt (a table frame is read above)
        try:
            b.lines(chart_lines(shape.chart) if shape.has_chart else smartart_lines(shape))
        except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
            if not type(exc).__module__.startswith(("pptx", "builtins")):
                raise
            # a chart python-pptx cannot read: the slide's other text is still worth keeping
    elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        b.lines(one_line(para.text) for para in shape.text_frame.paragraphs)
