"""The three script classes a word processor keeps a font for: Western (Latin, Greek, Cyrillic ...), Asian (Chinese,
Japanese, Korean) and complex (right-to-left and Indic scripts, Thai ...). OpenDocument sets each its own size and
weight (``fo:font-size``, ``style:font-size-asian``, ``style:font-size-complex``) and Word two (``w:sz`` for Western
and Asian, ``w:szCs`` for complex), so a heading set by hand in Chinese or Arabic is larger only in its own class.

Which class a character is in is read from its Unicode script (the ``regex`` module's script properties), as
LibreOffice does from Unicode blocks. Punctuation, digits and spaces (scripts Common and Inherited) belong to no
class: they take the class of the text before them, or after them at the start, as word processors set them.
Written here because no kept library maps scripts to a word processor's classes.
"""

from __future__ import annotations

from collections.abc import Sequence

import regex

WESTERN, ASIAN, COMPLEX = 0, 1, 2
CLASSES = (WESTERN, ASIAN, COMPLEX)

_ASIAN = ("Han", "Hiragana", "Katakana", "Hangul", "Bopomofo", "Yi")
_COMPLEX = ("Arabic", "Hebrew", "Syriac", "Thaana", "Nko", "Samaritan", "Mandaic", "Devanagari", "Bengali",
            "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala", "Thai", "Lao",
            "Tibetan", "Myanmar", "Ethiopic", "Khmer", "Mongolian")
_WEAK = ("Common", "Inherited", "Unknown")


def _any(scripts: tuple[str, ...]) -> str:
    return "".join(rf"\p{{Script={s}}}" for s in scripts)


_NOT_WESTERN = regex.compile(f"[{_any(_ASIAN)}{_any(_COMPLEX)}]")
_STRONG = regex.compile(f"(?P<a>[{_any(_ASIAN)}]+)|(?P<c>[{_any(_COMPLEX)}]+)"
                        f"|(?P<w>[^{_any(_ASIAN)}{_any(_COMPLEX)}{_any(_WEAK)}]+)")
_CLASS_OF_GROUP = {"w": WESTERN, "a": ASIAN, "c": COMPLEX}


def only_western(text: str) -> bool:
    """Whether no character of ``text`` is Asian or complex (the common case, answered without classifying)."""
    return _NOT_WESTERN.search(text) is None


def classes(text: str) -> list[int]:
    """Each character's class (``WESTERN``, ``ASIAN`` or ``COMPLEX``), a character of no script taking the class of
    the text before it, or of the first text after it at the start; all Western when no character has a script."""
    if only_western(text):
        return [WESTERN] * len(text)
    out: list[int] = []
    for m in _STRONG.finditer(text):
        cls = _CLASS_OF_GROUP[m.lastgroup or "w"]
        weak = m.start() - len(out)  # the characters of no script before this run
        out.extend([out[-1] if out else cls] * weak)
        out.extend([cls] * (m.end() - m.start()))
    out.extend([out[-1] if out else WESTERN] * (len(text) - len(out)))
    return out


def class_counts(pieces: Sequence[str]) -> list[list[int]]:
    """For each piece of one paragraph's text, in order, its characters that are not white space in each class
    (indexed by ``CLASSES``); a piece's characters of no script take their class from the pieces around them."""
    text = "".join(pieces)
    if only_western(text):
        return [[len("".join(piece.split())), 0, 0] for piece in pieces]
    of, pos, out = classes(text), 0, []
    for piece in pieces:
        counts = [0] * len(CLASSES)
        for c, cls in zip(piece, of[pos:pos + len(piece)], strict=True):
            if not c.isspace():
                counts[cls] += 1
        out.append(counts)
        pos += len(piece)
    return out
