"""OpenDocument's side of headings set by hand (``handset.py``, rule O1): a paragraph's bold and sizes resolved
through its span and paragraph styles, their ``style:parent-style-name`` chains and the family's default style, into
a ``Para``. Automatic styles (content.xml) are looked up before the named ones (styles.xml), as applications do.
Each script class has its own bold and size (``fo:font-size`` for Western text, ``style:font-size-asian`` and
``style:font-size-complex``; ``scripts.py``), and each character counts in its own class's; where a file sets none
for a class (writers that know only the ``fo:`` properties), its text counts in the Western type.

Written here because odfpy and odfdo expose the style elements but resolve no inheritance (odfdo's
``get_style`` returns the element as written).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from saferag.ingest.formats.handset import NOT_TITLE_STYLES, Para
from saferag.ingest.formats.scripts import CLASSES, WESTERN, class_counts

_STYLE_NS = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_FO_NS = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _s(local: str) -> str:
    return f"{{{_STYLE_NS}}}{local}"


_STYLE, _DEFAULT, _PROPS = _s("style"), _s("default-style"), _s("text-properties")
_NAME, _FAMILY, _PARENT, _DISPLAY = _s("name"), _s("family"), _s("parent-style-name"), _s("display-name")
#: Each script class's weight, size, and size change (a signed length added to the parent's size, "+2pt", where no
#: size is set), in ``scripts.CLASSES`` order: Western, Asian, complex.
_CLASS_PROPS = ((f"{{{_FO_NS}}}font-weight", f"{{{_FO_NS}}}font-size", _s("font-size-rel")),
                (_s("font-weight-asian"), _s("font-size-asian"), _s("font-size-rel-asian")),
                (_s("font-weight-complex"), _s("font-size-complex"), _s("font-size-rel-complex")))
_STYLE_NAME = f"{{{_TEXT_NS}}}style-name"
_RUNS = {f"{{{_TEXT_NS}}}span", f"{{{_TEXT_NS}}}a"}  # elements whose style overrides the text inside them
_BOLD_WEIGHTS = {"bold", "600", "700", "800", "900"}  # fo:font-weight: normal, bold, or 100, 200, ... 900
MAX_POINTS = 10_000.0  # a larger or non-finite size is malformed (a crafted "1e400pt"), read as unset
_POINTS = {"pt": 1.0, "pc": 12.0, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "px": 0.75}
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(pt|pc|in|cm|mm|px|%)\s*$")
_CHANGE = re.compile(r"^\s*([+-]?[0-9]*\.?[0-9]+)\s*(pt|pc|in|cm|mm|px)\s*$")
_MAX_CHAIN = 20  # a crafted file may loop its parent styles

Type = tuple[tuple[bool | None, float | None], ...]  # (bold, size in points) of each script class; None: unset
Sizes = tuple[float | None, ...]  # the size of each script class


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
        self._resolved: dict[tuple[str, str, Sizes | None], tuple[Type, bool, bool]] = {}

    def para(self, el: Any, text: str, styled: int = 0, listed: bool = False) -> Para:
        """The paragraph ``el`` (``text:p`` or ``text:h``) as the hand-set rule sees it."""
        types, title, not_title = self._resolve("paragraph", el.get(_STYLE_NAME, ""))
        p = Para(text, styled or (1 if title else 0), listed=listed or not_title)
        if p.styled or not text.strip():
            return p
        runs: list[tuple[str, Type]] = []
        self._walk(el, types, runs)
        pieces = _pieces(runs)
        p.bold = bool(pieces) and all(b for b, _ in pieces)
        p.sizes.update({s: n for (_, s), n in pieces.items() if s is not None})
        known = [s for _, s in pieces]
        p.size = None if not known or None in known else min(s for s in known if s is not None)
        return p

    def _walk(self, node: Any, types: Type, runs: list[tuple[str, Type]]) -> None:
        """Collect the paragraph's own text, each piece with the type it is set in."""
        if node.text:
            runs.append((node.text, types))
        for child in node:
            if child.tag in _RUNS and child.get(_STYLE_NAME):
                own, _, _ = self._resolve("text", child.get(_STYLE_NAME, ""), tuple(s for _, s in types))
                self._walk(child, tuple((b if ob is None else ob, s if os is None else os)
                                        for (b, s), (ob, os) in zip(types, own, strict=True)), runs)
            elif child.tag not in self._not_text:
                self._walk(child, types, runs)
            if child.tail:
                runs.append((child.tail, types))

    def _resolve(self, family: str, name: str, base: Sizes | None = None) -> tuple[Type, bool, bool]:
        """((bold, size in points) of each script class, whether a ``Title`` style, whether a list or contents
        style) of a style; a text style's size in percent is of ``base``, the sizes of the text around it."""
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
        bold: list[bool | None] = [None] * len(CLASSES)
        size: list[float | None] = list(base) if base is not None and family == "text" else [None] * len(CLASSES)
        for el in reversed(chain):  # the default first, then each parent, the style itself last
            props = el.find(_PROPS)
            if props is None:
                continue
            for cls, (weight_attr, size_attr, change_attr) in zip(CLASSES, _CLASS_PROPS, strict=True):
                if (weight := props.get(weight_attr)) is not None:
                    bold[cls] = weight.strip() in _BOLD_WEIGHTS
                if (value := props.get(size_attr)) is not None:
                    size[cls] = _points(value, size[cls]) or size[cls]  # an unreadable size leaves the parent's
                elif (change := props.get(change_attr)) is not None:
                    size[cls] = _changed(change, size[cls]) or size[cls]
        names = [_name(el) for el in chain if el.tag == _STYLE]
        listed = any(n.startswith(NOT_TITLE_STYLES) for n in names)
        result = (tuple(zip(bold, size, strict=True)), "title" in names, listed)
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


def _set_in(types: Type, cls: int) -> tuple[bool, float | None]:
    """The (bold, size) a script class's text is set in: the class's own, else the Western one's."""
    (bold, size), (western_bold, western_size) = types[cls], types[WESTERN]
    return bool(western_bold if bold is None else bold), western_size if size is None else size


def _pieces(runs: list[tuple[str, Type]]) -> Counter[tuple[bool, float | None]]:
    """(bold, size) → the characters set so, white space left out; each character in its script class's type."""
    pieces: Counter[tuple[bool, float | None]] = Counter()
    for (_, types), counts in zip(runs, class_counts([t for t, _ in runs]), strict=True):
        for cls, chars in enumerate(counts):
            if chars:
                pieces[_set_in(types, cls)] += chars
    return pieces
