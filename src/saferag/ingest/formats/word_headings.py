"""Word's side of headings set by hand (``handset.py``, rule W1b): a run's bold and size resolved through direct
formatting, character and paragraph styles and the document defaults, into a ``Para`` per paragraph.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from saferag.ingest.formats.handset import NOT_TITLE_STYLES, Para

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MALFORMED = (ValueError, TypeError, KeyError, AttributeError, IndexError)


class Fonts:
    """Effective bold and size of a run, resolved through direct formatting, the character style, the paragraph
    style and their base styles, then the document defaults; styles are looked up once each."""

    def __init__(self, doc: Any) -> None:
        self._doc = doc
        self._cache: dict[tuple[str, str | None, str], Any] = {}
        self.default_size = _default_size(doc)

    def para(self, paragraph: Any, text: str, styled: int) -> Para:
        p = Para(text, styled, listed=_listed(paragraph._p))
        if styled or not text.strip():
            return p
        p_style = paragraph._p.style
        # A list item is not a title, nor an entry of a table of contents (its "TOC 1" style is often bold).
        p.listed = p.listed or self._style_name(p_style).lower().startswith(NOT_TITLE_STYLES)
        try:
            self._type(paragraph, p_style, p)
        except Exception as exc:  # a malformed size or style (python-docx parses a value when asked): body text
            if not isinstance(exc, _MALFORMED) and not type(exc).__module__.startswith("docx"):
                raise
            p.bold, p.size = False, None
            p.sizes.clear()
        return p

    def _type(self, paragraph: Any, p_style: str | None, p: Para) -> None:
        bold, smallest, unknown = True, None, False
        for run in _runs(paragraph):
            chars = sum(not c.isspace() for c in run.text)
            if not chars:
                continue
            r_style = run._r.style
            b = run.font.bold
            if b is None:
                b = self._style("character", r_style, "bold")
            if b is None:
                b = self._style("paragraph", p_style, "bold")
            bold = bold and bool(b)
            size = _points(run.font.size) or self._style("character", r_style, "size") \
                or self._style("paragraph", p_style, "size") or self.default_size
            if size is None:
                unknown = True
                continue
            p.sizes[size] += chars
            smallest = size if smallest is None else min(smallest, size)
        p.bold, p.size = bold, None if unknown else smallest

    def _style_name(self, style_id: str | None) -> str:
        key = ("paragraph", style_id, "name")
        if key not in self._cache:
            style = self._lookup("paragraph", style_id)
            self._cache[key] = (style.name or "") if style is not None else ""
        return self._cache[key]

    def _style(self, kind: str, style_id: str | None, attr: str) -> Any:
        key = (kind, style_id, attr)
        if key not in self._cache:
            value = None
            style = self._lookup(kind, style_id)
            seen = 0
            while style is not None and value is None and seen < 20:  # a crafted file may loop its base styles
                font = style.font
                value = _points(font.size) if attr == "size" else font.bold
                style, seen = style.base_style, seen + 1
            self._cache[key] = value
        return self._cache[key]

    def _lookup(self, kind: str, style_id: str | None) -> Any:
        from docx.enum.style import WD_STYLE_TYPE

        kinds = {"character": WD_STYLE_TYPE.CHARACTER, "paragraph": WD_STYLE_TYPE.PARAGRAPH}
        try:
            return self._doc.part.get_style(style_id, kinds[kind])  # the default style when the id is None or unknown
        except (KeyError, ValueError):
            return None


def _runs(paragraph: Any) -> Iterable[Any]:
    """The paragraph's runs, those inside hyperlinks too."""
    for item in paragraph.iter_inner_content():
        yield from getattr(item, "runs", [item])


def _listed(p: Any) -> bool:
    ppr = p.find(f"{W}pPr")
    return ppr is not None and ppr.find(f"{W}numPr") is not None


def _points(length: Any) -> float | None:
    return round(length.pt * 2) / 2 if length is not None else None


def _default_size(doc: Any) -> float | None:
    """The document defaults' font size (``w:docDefaults``), in points."""
    sz = doc.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}sz")
    value = sz.get(f"{W}val", "") if sz is not None else ""
    return int(value) / 2 if value.isdigit() else None
