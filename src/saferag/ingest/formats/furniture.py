"""Page furniture of a PDF: the running heads and page numbers it repeats at the top or bottom of its pages
("Chapter 7: Reference 16", "40 gnuplot 5.4", "- 12 -"). A reader skips them; left in the text they sit inside
chunks, in the middle of a sentence that runs over a page break, and are embedded and quoted with it.

pypdf extracts every line alike and no kept library strips furniture from a text layer (the layout-analysis stacks
that do render pages or run models), so it is done here over each page's extracted lines: a first or last line
(two at most at each end) that is only a number, or whose words, less a page number at either end, open or close
at least ``MIN_PAGES`` pages and ``SHARE`` of the document's. A line where a heading starts is kept: a chapter's
title often repeats its running head (``benchmarks/retrieval_rules.md``, P4).
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
from collections import Counter
from collections.abc import Sequence

from saferag.ingest.formats.common import line_spans
from saferag.ingest.headings import Heading

MIN_PAGES = 4
SHARE = 0.05
EDGE_LINES = 2  # lines looked at from each end of a page
_PAGE_NUMBER = re.compile(r"^\W*(?:[0-9]+|[ivxlc]+|[IVXLC]+)\W*$")

Span = tuple[int, int]


def furniture(texts: Sequence[str]) -> list[list[Span]]:
    """Per page, the (start, end) offsets in its text of each furniture line, with the line break that joins it to
    the rest of the page."""
    edges = [_edge_lines(text) for text in texts]
    seen: Counter[str] = Counter()
    for page in edges:
        seen.update({key for _, _, key in page if key})
    need = max(MIN_PAGES, SHARE * len(texts))
    spans: list[list[Span]] = []
    for text, page in zip(texts, edges, strict=True):
        drop: list[Span] = []
        for start, end, key in page:
            line = text[start:end]
            if _PAGE_NUMBER.match(line) or (key and seen[key] >= need):
                drop.append((start, end))
        spans.append(_with_breaks(text, drop))
    return spans


def strip_furniture(texts: Sequence[str], spans: Sequence[Sequence[Span]], headings: Sequence[Heading],
                    starts: Sequence[int]) -> tuple[list[str], list[Heading]]:
    """``texts`` without the ``spans`` of each page, and ``headings`` (offsets in the pages joined, page ``i`` at
    ``starts[i]``) moved back by what was cut before them; a span where a heading starts is kept."""
    placed = [(_page_of(starts, h.start), h) for h in headings]
    heads_on: dict[int, list[int]] = {}
    for page, h in placed:
        heads_on.setdefault(page, []).append(h.start - starts[page])
    out: list[str] = []
    cut: list[list[Span]] = []
    for i, text in enumerate(texts):
        ats = heads_on.get(i, [])
        gone = [(s, e) for s, e in spans[i] if not any(s <= at < e for at in ats)]
        cut.append(gone)
        out.append(_without(text, gone))
    before = list(itertools.accumulate((sum(e - s for s, e in page) for page in cut), initial=0))
    moved = [dataclasses.replace(h, start=h.start - before[page]
                                 - sum(e - s for s, e in cut[page] if e <= h.start - starts[page]))
             for page, h in placed]
    return out, moved


def _page_of(starts: Sequence[int], offset: int) -> int:
    return max(0, bisect.bisect_right(starts, offset) - 1)


def _edge_lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, words) of up to ``EDGE_LINES`` lines at each end of a page."""
    lines = line_spans(text)
    picked = lines if len(lines) <= 2 * EDGE_LINES else lines[:EDGE_LINES] + lines[-EDGE_LINES:]
    return [(s, e, _key(text[s:e])) for s, e in picked if text[s:e].strip()]


def _with_breaks(text: str, drop: list[Span]) -> list[Span]:
    """Only the furniture that stands at an end of the page, a line at a time (a repeated line inside the page's
    first or last two is furniture only when what stands before it, up to the page's edge, is too), each span
    taking the line break that joins it to the rest."""
    kept: list[Span] = []
    top = 0
    for s, e in sorted(drop):
        if s == top:
            kept.append((s, min(e + 1, len(text))))
            top = min(e + 1, len(text))
    bottom = len(text)
    for s, e in sorted(drop, reverse=True):
        if e == bottom and s >= top:
            kept.append((max(s - 1, top), e))
            bottom = max(s - 1, top)
    return sorted(set(kept))


def _without(text: str, spans: Sequence[Span]) -> str:
    parts, at = [], 0
    for s, e in sorted(spans):
        parts.append(text[at:s])
        at = max(at, e)
    parts.append(text[at:])
    return "".join(parts)


def _key(line: str) -> str:
    """The line's words, lower case, without a page number at either end ("Chapter 7: Reference 16" -> "chapter 7
    reference"): numbers inside stay, so lines that differ only in them (a log, a table) are not one line."""
    words = re.sub(r"[\W_]+", " ", line.lower()).split()
    while words and _PAGE_NUMBER.match(words[0]):
        words.pop(0)
    while words and _PAGE_NUMBER.match(words[-1]):
        words.pop()
    return " ".join(words)
