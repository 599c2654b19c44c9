"""A PDF's outline (its bookmarks) as the document's headings, so a chunk of a 1,000-page manual knows it sits under
"Strings › Searching and Replacing in Strings", as a chunk of the same manual in HTML does.

pypdf reads the outline: a tree of titles, each pointing at a page and a height on it. Where a title sits in the
page's *text* is found here by hand, since no library maps a destination to an offset in extracted text: the title
is looked for as a line of the page (after a section number such as "2.6.1" or "Chapter 2:"), from the previous
heading on the same page on; a title not found so (wrapped over two lines, or printed in other words) is placed at
the text drawn nearest below its height on the page. A damaged outline is read as none (the type then gives the
headings, ``typeset.py``), never costing the document.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from saferag.ingest.formats.common import line_spans, unligature
from saferag.ingest.headings import Heading, clean_heading, norm_words

if TYPE_CHECKING:
    from pypdf import PdfReader

log = logging.getLogger(__name__)

MAX_ENTRIES = 10_000  # outline entries placed (pypdf reads the whole outline); a real manual has hundreds
MAX_DEPTH = 16  # nesting levels kept; deeper entries (a crafted file) are left out
#: Pages read a second time, for their text's positions, to place titles not found as lines: a bound on what a
#: crafted outline can cost (each read is a page's extraction again; Valgrind's manual needs 24 of 283 entries).
MAX_POSITIONED_PAGES = 200

#: What may stand before a title on its heading line: "2.6.1", "A.2.", "Chapter 2:", "Appendix B".
_NUMBER = re.compile(r"(?i:(?:chapter|appendix|part|section)\s+)?(?:[0-9]+|[A-Z])(?:\.[0-9]+)*\.?:?\s+")


def outline_entries(reader: PdfReader) -> list[tuple[int, Any]]:
    """(level, entry) of the file's outline in order; empty when it has none or an unreadable one."""
    try:
        return list(_walk(reader.outline, 1))[:MAX_ENTRIES]
    except Exception as exc:  # noqa: BLE001 - any failure in a damaged outline only costs the headings
        log.debug("PDF outline not read: %s", exc)
        return []


def outline_headings(reader: PdfReader, entries: Sequence[tuple[int, Any]], texts: Sequence[str],
                     starts: Sequence[int]) -> list[Heading]:
    """The outline's ``entries`` (from ``outline_entries``) as headings of the text whose page ``i`` is
    ``texts[i]``, starting at ``starts[i]``."""
    pages = _Pages(reader, texts)
    headings: list[Heading] = []
    page_before, after = -1, 0  # the page of the previous heading, and where on it the next is looked for
    for level, entry in entries:
        try:
            page = reader.get_destination_page_number(entry)
            title = clean_heading(unligature(str(entry.title or "")))
        except Exception:  # noqa: BLE001 - an entry pointing nowhere is skipped
            continue
        if not title or page is None or not 0 <= page < len(texts):
            continue
        lo = after if page == page_before else 0
        at = pages.line_of(page, title, lo)
        if at is None:
            at = pages.below(page, getattr(entry, "top", None), lo)
        headings.append(Heading(starts[page] + at, level, title))
        page_before, after = page, min(at + 1, len(texts[page]))
    headings.sort(key=lambda h: h.start)  # stable: entries at one offset keep the outline's order
    return headings


def _walk(items: Any, level: int) -> Iterator[tuple[int, Any]]:
    """(level, entry) in outline order; a nested list holds the children of the entry before it."""
    for item in items:
        if isinstance(item, list):
            if level < MAX_DEPTH:
                yield from _walk(item, level + 1)
        else:
            yield level, item


class _Pages:
    """Each page's lines and text positions, worked out once however many entries point at the page."""

    def __init__(self, reader: PdfReader, texts: Sequence[str]) -> None:
        self.reader, self.texts = reader, texts
        self.lines: dict[int, list[tuple[int, str, str]]] = {}  # page -> (offset, words, words after a number)
        self.drawn: dict[int, list[tuple[float, str]]] = {}  # page -> (height, text) of each piece drawn

    def line_of(self, page: int, title: str, lo: int) -> int | None:
        """Offset of the first line at or after ``lo`` that is ``title``, alone or after a section number."""
        want = norm_words(title)
        if page not in self.lines:
            text = self.texts[page]
            self.lines[page] = [(s, norm_words(text[s:e]), _after_number(text[s:e]))
                                for s, e in line_spans(text) if e > s]
        return next((at for at, words, rest in self.lines[page] if at >= lo and want in (words, rest)), None) \
            if want else None

    def below(self, page: int, top: Any, lo: int) -> int:
        """Where a title not found as a line sits: the line holding the text drawn nearest below its height (pypdf
        reports each piece with its position), not before ``lo``; ``lo`` when that cannot be told."""
        try:
            height = float(top)
        except (TypeError, ValueError):  # a /Fit destination: the page, not a place on it
            return lo
        pieces = self._drawn(page)
        under = [(y, piece) for y, piece in pieces if y <= height + 1 and len(piece) >= 3]
        if not under:
            return lo
        text = self.texts[page]
        at = text.find(max(under, key=lambda p: p[0])[1][:40], lo)
        if at < 0:
            return lo
        line = text.rfind("\n", lo, at)
        return line + 1 if line >= 0 else lo

    def _drawn(self, page: int) -> list[tuple[float, str]]:
        if page in self.drawn:
            return self.drawn[page]
        pieces: list[tuple[float, str]] = []
        if len(self.drawn) < MAX_POSITIONED_PAGES:
            def visit(piece: str, cm: Sequence[float], tm: Sequence[float], *_: Any) -> None:
                if piece.strip():  # spelt out as the page text is (rule P7), or it is not found there
                    pieces.append((cm[5] + tm[5] * cm[3], unligature(piece.strip())))

            try:
                self.reader.pages[page].extract_text(visitor_text=visit)
            except Exception:  # noqa: BLE001 - a page that cannot be read twice places its titles at ``lo``
                pieces = []
        self.drawn[page] = pieces
        return pieces


def _after_number(line: str) -> str:
    number = _NUMBER.match(line.strip())
    return norm_words(line.strip()[number.end():]) if number else ""
