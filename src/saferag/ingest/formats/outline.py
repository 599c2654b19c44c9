"""A PDF's outline (its bookmarks) as the document's headings, so a chunk of a 1,000-page manual knows it sits under
"Strings › Searching and Replacing in Strings", as a chunk of the same manual in HTML does.

pypdf reads the outline: a tree of titles, each pointing at a page and a height on it. Where a title sits in the
page's *text* is found here by hand, since no library maps a destination to an offset in extracted text: the title
is looked for as a line of the page (after a section number such as "2.6.1" or "Chapter 2:"), from the previous
heading on the same page on; a title not found so (wrapped over two lines, say) is placed by its height on the page.
A damaged outline costs the headings, never the document.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

from saferag.ingest.headings import Heading, clean_heading

log = logging.getLogger(__name__)

MAX_ITEMS = 20_000  # outline entries read; a real manual has hundreds
MAX_DEPTH = 16  # nesting levels read; deeper entries (a crafted file) are left out

#: What may stand before a title on its heading line: "2.6.1", "A.2.", "Chapter 2:", "Appendix B".
_NUMBER = re.compile(r"(?i:(?:chapter|appendix|part|section)\s+)?(?:[0-9]+|[A-Z])(?:\.[0-9]+)*\.?:?\s+")
_LINE = re.compile(r"[^\n]+")


def outline_headings(reader: Any, texts: Sequence[str], starts: Sequence[int]) -> list[Heading]:
    """The outline's entries as headings of the text whose page ``i`` is ``texts[i]``, starting at ``starts[i]``;
    empty when the file has no outline or an unreadable one."""
    try:
        entries = list(_walk(reader.outline, 1))[:MAX_ITEMS]
    except Exception as exc:  # noqa: BLE001 - any failure in a damaged outline only costs the headings
        log.debug("PDF outline not read: %s", exc)
        return []
    headings: list[Heading] = []
    page_before, after = -1, 0  # the page of the previous heading, and where on it the next is looked for
    for level, entry in entries:
        try:
            page = reader.get_destination_page_number(entry)
            title = clean_heading(str(entry.title or ""))
        except Exception:  # noqa: BLE001 - an entry pointing nowhere is skipped
            continue
        if not title or page is None or not 0 <= page < len(texts):
            continue
        text = texts[page]
        lo = after if page == page_before else 0
        at = _line_of(text, title, lo)
        if at is None:
            at = _by_height(reader, page, entry, text, lo)
        headings.append(Heading(starts[page] + at, level, title))
        page_before, after = page, min(at + 1, len(text))
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


def _norm(text: str) -> str:
    """Lower case, words only; NFKC so a typeset ligature ("ﬁ") matches the bookmark's plain letters."""
    return " ".join(re.sub(r"[^\w]+", " ", unicodedata.normalize("NFKC", text).lower()).split())


def _line_of(text: str, title: str, lo: int) -> int | None:
    """Offset of the first line at or after ``lo`` that is ``title``, alone or after a section number."""
    want = _norm(title)
    if not want:
        return None
    for m in _LINE.finditer(text, lo):
        line = m.group().strip()
        if _norm(line) == want:
            return m.start()
        number = _NUMBER.match(line)
        if number and _norm(line[number.end():]) == want:
            return m.start()
    return None


def _by_height(reader: Any, page: int, entry: Any, text: str, lo: int) -> int:
    """Where a title not found as a line sits: the line of the first text drawn at or below its height (pypdf
    reports each piece of text with its position), not before ``lo``; ``lo`` when the outline gives no height."""
    try:
        top = float(entry.top)
    except (AttributeError, TypeError, ValueError):  # a /Fit destination: the page, not a place on it
        return lo
    below: list[str] = []

    def visit(piece: str, cm: Sequence[float], tm: Sequence[float], *_: Any) -> None:
        if not below and piece.strip() and cm[5] + tm[5] * cm[3] <= top + 1:
            below.append(piece.strip())

    try:
        reader.pages[page].extract_text(visitor_text=visit)
    except Exception:  # noqa: BLE001 - a page that cannot be read twice keeps the page's start
        return lo
    at = text.find(below[0][:40], lo) if below else -1
    if at < 0:
        return lo
    line = text.rfind("\n", lo, at)
    return line + 1 if line >= 0 else lo
