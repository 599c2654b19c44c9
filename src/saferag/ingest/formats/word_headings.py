"""Headings a Word document's author set by hand: a short paragraph in bold, or in a larger size, standing where a
``Heading N`` style would (rule W1 in ``benchmarks/retrieval_rules.md``).

Written here because no kept library reads them: python-docx, docling and unstructured read styles only, and
docx2txt (LlamaIndex's reader) no headings at all. The rule is the PDF reader's (``typeset.py``) in Word's terms:
a line clearly larger than the body, or set apart in bold, that does not read as a sentence or a label.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from saferag.ingest.formats.typeset import MIN_RATIO

#: How a statement or a label ends: a bold line ending so is emphasis ("Never restart during an upgrade.") or a
#: lead-in ("Requirements:"), not a section's title. A question is a common title ("What is DNSSEC?").
_STATEMENT_ENDS = (".", ";", ",", ":")
#: A document where more than this share of the paragraphs is set apart (bold, large) is set so throughout, not
#: sectioned (a list of bold terms over their descriptions is about half).
HANDSET_SHARE = 0.75
MAX_LEVEL = 9


def is_title(text: str) -> bool:
    """Whether a line set apart by hand (in bold, or large) reads as a section's title: short (at most 120
    characters and 16 words), with a letter, and not ending as a statement or a label does."""
    text = text.strip()
    return 0 < len(text) <= 120 and len(text.split()) <= 16 and any(c.isalpha() for c in text) \
        and not text.endswith(_STATEMENT_ENDS)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MALFORMED = (ValueError, TypeError, KeyError, AttributeError, IndexError)


@dataclass
class Para:
    """One body paragraph as the rule sees it: its text, its styled heading level (0 for none), and its type."""

    text: str
    styled: int = 0
    listed: bool = False
    bold: bool = False  # every piece of its text bold
    size: float | None = None  # the smallest size any piece of its text is set in (points), None when unknown
    sizes: Counter[float] = field(default_factory=Counter)  # size → characters set in it


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
        p.listed = p.listed or self._style_name(p_style).lower().startswith(("list", "toc"))
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


def levels(paras: Sequence[Para]) -> list[int]:
    """Each paragraph's heading level: its styled level, a hand-set heading's level by rule W1, else 0."""
    texts = [i for i, p in enumerate(paras) if p.text.strip() and not p.styled]
    body = _body_size(paras)
    last = texts[-1] if texts else -1
    hand = {i for i in texts if i != last and _set_apart(paras[i], body)}
    if len(hand) > HANDSET_SHARE * len(texts):
        hand = set()
    sizes = sorted({paras[i].size or 0.0 for i in hand}, reverse=True)
    rank = {s: r for r, s in enumerate(sizes)}
    out, above = [], 0
    for i, p in enumerate(paras):
        if p.styled:
            above = p.styled
            out.append(p.styled)
        elif i in hand:
            out.append(min(above + 1 + rank[p.size or 0.0], MAX_LEVEL))
        else:
            out.append(0)
    return out


def _set_apart(p: Para, body: float | None) -> bool:
    if p.listed or not is_title(p.text):
        return False
    large = body is not None and p.size is not None and p.size >= MIN_RATIO * body
    return p.bold or large


def _body_size(paras: Iterable[Para]) -> float | None:
    chars: Counter[float] = Counter()
    for p in paras:
        chars.update(p.sizes)
    return chars.most_common(1)[0][0] if chars else None


def _runs(paragraph: Any) -> Iterable[Any]:
    """The paragraph's runs, those inside hyperlinks too."""
    for item in paragraph.iter_inner_content():
        yield from getattr(item, "runs", [item])


def _listed(p: Any) -> bool:
    ppr = p.find(f"{_W}pPr")
    return ppr is not None and ppr.find(f"{_W}numPr") is not None


def _points(length: Any) -> float | None:
    return round(length.pt * 2) / 2 if length is not None else None


def _default_size(doc: Any) -> float | None:
    """The document defaults' font size (``w:docDefaults``), in points."""
    sz = doc.styles.element.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr/{_W}sz")
    value = sz.get(f"{_W}val", "") if sz is not None else ""
    return int(value) / 2 if value.isdigit() else None
