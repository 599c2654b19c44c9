"""Word's side of headings set by hand (``handset.py``, rule W1b): a run's bold and size resolved through direct
formatting, character and paragraph styles and the document defaults, into a ``Para`` per paragraph. Word sizes and
bolds complex-script text (Arabic, Hebrew, Indic, Thai ...; ``scripts.py``) apart, in ``w:szCs`` and ``w:bCs``: a
run marked ``w:rtl`` or ``w:cs``, or characters of a complex script, are read in those.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from saferag.ingest.formats.handset import NOT_TITLE_STYLES, Para
from saferag.ingest.formats.scripts import COMPLEX, class_counts

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MALFORMED = (ValueError, TypeError, KeyError, AttributeError, IndexError)


class Fonts:
    """Effective bold and size of a run, resolved through direct formatting, the character style, the paragraph
    style and their base styles, then the document defaults; styles are looked up once each."""

    def __init__(self, doc: Any) -> None:
        self._doc = doc
        self._cache: dict[tuple[str, str | None, str], Any] = {}
        self.default_size = _default_size(doc)
        self.default_cs_size = _default_size(doc, "szCs")

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
        runs = list(_runs(paragraph))
        for run, counts in zip(runs, class_counts([run.text for run in runs]), strict=True):
            cs_chars = sum(counts) if _complex_run(run._r) else counts[COMPLEX]
            for cs, chars in ((False, sum(counts) - cs_chars), (True, cs_chars)):
                if not chars:
                    continue
                b, size = self._run_type(run, p_style, cs)
                bold = bold and bool(b)
                if size is None:
                    unknown = True
                    continue
                p.sizes[size] += chars
                smallest = size if smallest is None else min(smallest, size)
        p.bold, p.size = bold, None if unknown else smallest

    def _run_type(self, run: Any, p_style: str | None, cs: bool) -> tuple[bool | None, float | None]:
        """A run's bold and size in points, those of its complex-script text when ``cs``: where neither the run nor
        its styles set a complex-script one, the Western one (writers such as python-docx set only ``w:b`` and
        ``w:sz``), then the document defaults."""
        r_style = run._r.style
        chain = (("cs_bold", "cs_size"), ("bold", "size")) if cs else (("bold", "size"),)
        b = size = None
        for bold_attr, size_attr in chain:
            if b is None:
                b = _own(run.font, run._r.rPr, bold_attr)
            if b is None:
                b = self._style("character", r_style, bold_attr)
            if b is None:
                b = self._style("paragraph", p_style, bold_attr)
            size = size or _own(run.font, run._r.rPr, size_attr) \
                or self._style("character", r_style, size_attr) or self._style("paragraph", p_style, size_attr)
        return b, size or (self.default_cs_size if cs else None) or self.default_size

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
                value = _own(style.font, style.element.rPr, attr)
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


def _own(font: Any, rpr: Any, attr: str) -> Any:
    """A run's or a style's own ``bold``, ``size``, ``cs_bold`` or ``cs_size`` (None when it sets none), from its
    python-docx ``font`` and its ``w:rPr`` (python-docx reads no ``w:szCs``)."""
    if attr == "size":
        return _points(font.size)
    if attr == "cs_size":
        return _cs_points(rpr)
    return font.cs_bold if attr == "cs_bold" else font.bold


def _complex_run(r: Any) -> bool:
    """Whether a run is marked complex-script (``w:cs``) or right-to-left (``w:rtl``, which Word sets in the complex
    script's type), and not turned off with ``w:val="0"``."""
    rpr = r.rPr
    if rpr is None:
        return False
    return any(el is not None and el.get(f"{W}val", "true").lower() not in ("0", "false", "off")
               for el in (rpr.find(f"{W}cs"), rpr.find(f"{W}rtl")))


def _cs_points(rpr: Any) -> float | None:
    """A run properties' complex-script size (``w:szCs``, in half-points) in points."""
    return _half_points(rpr.find(f"{W}szCs")) if rpr is not None else None


def _half_points(el: Any) -> float | None:
    value = el.get(f"{W}val", "") if el is not None else ""
    return int(value) / 2 if value.isdigit() and 0 < int(value) <= 3276 else None


def _default_size(doc: Any, tag: str = "sz") -> float | None:
    """The document defaults' font size (``w:docDefaults``; ``szCs`` for complex scripts), in points."""
    return _half_points(doc.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}{tag}"))
