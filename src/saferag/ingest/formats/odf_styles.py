"""OpenDocument's side of headings set by hand (``handset.py``, rule O1): a paragraph's bold and sizes resolved
through its span and paragraph styles, their ``style:parent-style-name`` chains and the family's default style, into
a ``Para``. Automatic styles (content.xml) are looked up before the named ones (styles.xml), as applications do.

Written here because odfpy and odfdo expose the style elements but resolve no inheritance (odfdo's
``get_style`` returns the element as written).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from saferag.ingest.formats.handset import NOT_TITLE_STYLES, Para

_STYLE_NS = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_FO_NS = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _s(local: str) -> str:
    return f"{{{_STYLE_NS}}}{local}"


_STYLE, _DEFAULT, _PROPS = _s("style"), _s("default-style"), _s("text-properties")
_NAME, _FAMILY, _PARENT, _DISPLAY = _s("name"), _s("family"), _s("parent-style-name"), _s("display-name")
_WEIGHT, _SIZE = f"{{{_FO_NS}}}font-weight", f"{{{_FO_NS}}}font-size"
_SIZE_REL = _s("font-size-rel")  # a signed length added to the parent's size ("+2pt"), where no fo:font-size is set
_STYLE_NAME = f"{{{_TEXT_NS}}}style-name"
_RUNS = {f"{{{_TEXT_NS}}}span", f"{{{_TEXT_NS}}}a"}  # elements whose style overrides the text inside them
_BOLD_WEIGHTS = {"bold", "600", "700", "800", "900"}  # fo:font-weight: normal, bold, or 100, 200, ... 900
MAX_POINTS = 10_000.0  # a larger or non-finite size is malformed (a crafted "1e400pt"), read as unset
_POINTS = {"pt": 1.0, "pc": 12.0, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "px": 0.75}
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(pt|pc|in|cm|mm|px|%)\s*$")
_CHANGE = re.compile(r"^\s*([+-]?[0-9]*\.?[0-9]+)\s*(pt|pc|in|cm|mm|px)\s*$")
_MAX_CHAIN = 20  # a crafted file may loop its parent styles


class OdfStyles:
    """Bold and size of paragraph and text styles, resolved once per style; the roots are content.xml's and
    styles.xml's parsed trees (either may be None). ``not_text``: the tags whose text is not a paragraph's own
    words (the text reader's: comments, footnotes, text boxes ...), left out of its type."""

    def __init__(self, content: Any, styles: Any, not_text: frozenset[str]) -> None:
        self._not_text = not_text
        self._elements: dict[tuple[str, str], Any] = {}
        self._defaults: dict[str, Any] = {}
        for root in (styles, content):  # content.xml's automatic styles shadow a named style of the same name
            if root is None:
                continue
            for el in root.iter(_STYLE, _DEFAULT):
                family = el.get(_FAMILY, "")
                if el.tag == _DEFAULT:
                    self._defaults[family] = el
                elif name := el.get(_NAME):
                    self._elements[(family, name)] = el
        self._resolved: dict[tuple[str, str, float | None], tuple[bool | None, float | None, bool, bool]] = {}

    def para(self, el: Any, text: str, styled: int = 0, listed: bool = False) -> Para:
        """The paragraph ``el`` (``text:p`` or ``text:h``) as the hand-set rule sees it."""
        bold, size, title, not_title = self._resolve("paragraph", el.get(_STYLE_NAME, ""))
        p = Para(text, styled or (1 if title else 0), listed=listed or not_title)
        if p.styled or not text.strip():
            return p
        pieces: Counter[tuple[bool, float | None]] = Counter()
        self._walk(el, bool(bold), size, pieces)
        p.bold = bool(pieces) and all(b for b, _ in pieces)
        p.sizes.update({s: n for (_, s), n in pieces.items() if s is not None})
        known = [s for _, s in pieces]
        p.size = None if not known or None in known else min(s for s in known if s is not None)
        return p

    def _walk(self, node: Any, bold: bool, size: float | None, pieces: Counter[tuple[bool, float | None]]) -> None:
        if node.text:
            _count(node.text, bold, size, pieces)
        for child in node:
            if child.tag in _RUNS and child.get(_STYLE_NAME):
                b, s, _, _ = self._resolve("text", child.get(_STYLE_NAME, ""), size)
                self._walk(child, bold if b is None else b, size if s is None else s, pieces)
            elif child.tag not in self._not_text:
                self._walk(child, bold, size, pieces)
            if child.tail:
                _count(child.tail, bold, size, pieces)

    def _resolve(self, family: str, name: str, base: float | None = None
                 ) -> tuple[bool | None, float | None, bool, bool]:
        """(bold, size in points, whether a ``Title`` style, whether a list or contents style) of a style; a
        text style's size in percent is of ``base``, the size of the text around it."""
        if (family, name, base) in self._resolved:
            return self._resolved[(family, name, base)]
        chain: list[Any] = []
        el, seen = self._elements.get((family, name)), set()
        while el is not None and len(chain) < _MAX_CHAIN and id(el) not in seen:
            seen.add(id(el))
            chain.append(el)
            el = self._elements.get((family, el.get(_PARENT, "")))
        if (default := self._defaults.get(family)) is not None:
            chain.append(default)
        bold, size = None, base if family == "text" else None
        for el in reversed(chain):  # the default first, then each parent, the style itself last
            props = el.find(_PROPS)
            if props is None:
                continue
            if (weight := props.get(_WEIGHT)) is not None:
                bold = weight.strip() in _BOLD_WEIGHTS
            if (value := props.get(_SIZE)) is not None:
                size = _points(value, size) or size  # an unreadable size leaves the parent's
            elif (change := props.get(_SIZE_REL)) is not None:
                size = _changed(change, size) or size
        names = [_name(el) for el in chain if el.tag == _STYLE]
        result = (bold, size, "title" in names, any(n.startswith(NOT_TITLE_STYLES) for n in names))
        self._resolved[(family, name, base)] = result
        return result


def _name(el: Any) -> str:
    """A style's name as the user sees it ("Heading 1" for ``Heading_20_1``), lower case."""
    return (el.get(_DISPLAY) or el.get(_NAME, "")).replace("_20_", " ").lower()


def _points(value: str, parent: float | None) -> float | None:
    """A ``fo:font-size`` in points, rounded to the half point; a percentage of ``parent``; None when unreadable,
    zero, or past ``MAX_POINTS``."""
    m = _LENGTH.match(value)
    if not m:
        return None
    number, unit = float(m.group(1)), m.group(2)
    if unit == "%":
        return None if parent is None else _half_point(parent * number / 100)
    return _half_point(number * _POINTS[unit])


def _changed(value: str, parent: float | None) -> float | None:
    """``parent`` changed by a ``style:font-size-rel`` length, rounded to the half point; None when either is
    unreadable or the result is not a size (zero or less, or past ``MAX_POINTS``)."""
    m = _CHANGE.match(value)
    if not m or parent is None:
        return None
    return _half_point(parent + float(m.group(1)) * _POINTS[m.group(2)])


def _half_point(points: float) -> float | None:
    """``points`` rounded to the half point, or None where it is no size (zero or less, or past ``MAX_POINTS``)."""
    return round(points * 2) / 2 if 0 < points <= MAX_POINTS else None


def _count(text: str, bold: bool, size: float | None, pieces: Counter[tuple[bool, float | None]]) -> None:
    if chars := len("".join(text.split())):  # the characters that are not white space
        pieces[(bold, size)] += chars
