"""Headings of a PDF without bookmarks, read from its type: a line set clearly larger than the body text is a
heading, and a larger size is an outer level, as a reader sees it.

No kept library does this on a PDF's text layer without a rendering or ML stack (PyMuPDF4LLM reads sizes the same
way but is AGPL; docling and unstructured bring models), so it is written here over what pypdf reports of each
piece of text it extracts: its font size and matrices, from the same pass that extracts the page. The body size is
the size most of the document's characters are set in. A line at a heading size repeated at the top or bottom of
several pages is a running head, not a heading. Chosen on Debian's Octave, Valgrind and Nettle manuals with their
bookmarks taken out (``benchmarks/retrieval_rules.md``, P3).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from saferag.ingest.formats.common import line_spans, unligature
from saferag.ingest.formats.handset import HANDSET_SHARE, MIN_RATIO, is_title
from saferag.ingest.headings import Heading, clean_heading, norm_words

MAX_LEVELS = 4  # sizes beyond the fourth largest share the fourth level
#: A line at a heading size that opens or closes this many pages or more is a running head.
RUNNING_PAGES = 3
#: The share of a line's characters that must be at its largest size for that to be the line's size (a numbered
#: heading may set its number larger than its words).
LINE_SHARE = 0.4
#: A page with this many heading-size lines ending in a page number is a table of contents; those lines are not
#: headings.
CONTENTS_LINES = 3
#: A page with more heading-size lines than this is set large throughout (a poster, a slide of big type), not
#: sectioned: none of its lines is a heading. It also bounds the search for each heading in its page's text.
MAX_PER_PAGE = 60
MAX_LINES = 200_000  # lines kept for a document (each a few numbers): a bound on a crafted file's cost
#: Pieces of one line further apart than this many ems are cells of a table's row, not a title (rule P5).
GAP_EMS = 2.0


@dataclass
class _Line:
    page: int
    y: float
    text: str = ""
    sizes: Counter[float] = field(default_factory=Counter)  # size -> characters set in it
    first: float = 0.0  # the size of the line's first piece
    rest_bold: bool = True  # whether every piece after the first is set in a bold face
    bold: bool = False  # whether every piece is set in a bold face
    end: float = 0.0  # where the last piece ends, estimated at half an em a character
    gapped: bool = False  # whether two pieces stand more than ``GAP_EMS`` apart (a table's row)

    def size(self) -> float:
        """The line's size: the largest that holds ``LINE_SHARE`` of its characters; or its first piece's when the
        rest is bold (Texinfo sets "7.1.2.3" of a subsubsection large and its words in bold body type)."""
        total = sum(self.sizes.values())
        big = [s for s, n in self.sizes.items() if n >= LINE_SHARE * total]
        size = max(big) if big else 0.0
        return max(size, self.first) if self.rest_bold else size


class TypeReader:
    """Collects each page's lines with their type sizes while pypdf extracts the page, then names the headings."""

    def __init__(self) -> None:
        self.lines: list[_Line] = []

    def visitor(self, page: int) -> Callable[..., None]:
        """The ``visitor_text`` for ``page``'s ``extract_text``: pieces at one height make a line."""
        def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: Any, font_size: float) -> None:
            if not text.strip() or len(self.lines) >= MAX_LINES:
                return
            try:
                size = round(float(font_size) * math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3]), 1)
                y = float(cm[5]) + float(tm[5]) * float(cm[3])
                x = float(cm[4]) + float(tm[4]) * float(cm[0])
            except (TypeError, ValueError, IndexError):
                return
            last = self.lines[-1] if self.lines else None
            bold = _bold(font)
            if last is None or last.page != page or abs(last.y - y) > max(1.0, 0.2 * size):
                last = _Line(page, y, first=size, bold=bold)
                self.lines.append(last)
            else:
                last.rest_bold = last.rest_bold and bold
                last.bold = last.bold and bold
                last.gapped = last.gapped or x - last.end > GAP_EMS * size
            last.end = x + 0.5 * size * len(text)
            last.text += text.replace("\n", " ")
            last.sizes[size] += sum(not c.isspace() for c in text)
        return visit

    def headings(self, texts: Sequence[str], starts: Sequence[int]) -> list[Heading]:
        """The headings of the text whose page ``i`` is ``texts[i]``, starting at ``starts[i]``."""
        body = self._body_size()
        if not body:
            return []
        found = self._candidates(body)
        levels = {s: min(i + 1, MAX_LEVELS) for i, s in enumerate(sorted({round(s * 2) / 2 for s, _ in found
                                                                           if s >= MIN_RATIO * body}, reverse=True))}
        deeper = min(len(levels), MAX_LEVELS) + 1  # a bold line at the body's size (rule P5): always the deepest
        headings: list[Heading] = []
        lines: dict[int, list[tuple[int, str]]] = {}
        page_before, after = -1, 0
        for size, line in found:
            if not 0 <= line.page < len(texts):
                continue
            if line.page not in lines:
                text = texts[line.page]
                lines[line.page] = [(s, _squash(text[s:e])) for s, e in line_spans(text)]
            lo = after if line.page == page_before else 0
            want = _squash(line.text)
            at = _find(lines[line.page], want, lo)
            title = clean_heading(unligature(line.text))
            if at is None or not title:
                continue
            larger = size >= MIN_RATIO * body
            level = levels[round(size * 2) / 2] if larger else deeper
            headings.append(Heading(starts[line.page] + at, level, title, minor=not larger))
            page_before, after = line.page, at + 1
        return headings

    def _body_size(self) -> float:
        chars: Counter[float] = Counter()
        for line in self.lines:
            chars.update(line.sizes)
        return chars.most_common(1)[0][0] if chars else 0.0

    def _bold_titles(self, body: float, sizes: Sequence[float]) -> dict[int, float]:
        """Lines set in bold at the body's size that read as titles, standing alone (rule P5), with their size
        (``sizes``: each line's); none when most of the document is bold."""
        lines = self.lines
        bold = [line.bold and size < MIN_RATIO * body for line, size in zip(lines, sizes, strict=True)]
        if sum(bold) > HANDSET_SHARE * sum(any(c.isalpha() for c in line.text) for line in lines):
            return {}
        found = {}
        for i, line in enumerate(lines):
            if not bold[i] or line.gapped or not is_title(line.text):
                continue
            if any(0 <= j < len(lines) and bold[j] and lines[j].page == line.page for j in (i - 1, i + 1)):
                continue  # a bold paragraph, or a bold title wrapped over lines
            found[i] = sizes[i]
        return found

    def _candidates(self, body: float) -> list[tuple[float, _Line]]:
        """(size, line) of each heading line in reading order, wrapped titles joined, running heads left out."""
        sizes = [line.size() for line in self.lines]
        big = {i: size for i, (line, size) in enumerate(zip(self.lines, sizes, strict=True))
               if size >= MIN_RATIO * body and any(c.isalpha() for c in line.text)
               and sum(c.isalnum() for c in line.text) >= 2}  # not a lone large letter (a drop cap, an accent)
        bold = self._bold_titles(body, sizes)
        big = dict(sorted({**big, **bold}.items()))  # in reading order
        # Each kind of line (larger type, bold at the body's size) is counted against its own kind only, so a bold
        # running head does not take away a large chapter title of the same words.
        edges: Counter[tuple[bool, str]] = Counter()  # a heading line's words (no digits) -> pages it opens or closes
        first_last: set[int] = set()
        for i in big:
            line = self.lines[i]
            if i == 0 or self.lines[i - 1].page != line.page or i + 1 == len(self.lines) \
                    or self.lines[i + 1].page != line.page:
                first_last.add(i)
                edges[i in bold, _key(line.text)] += 1
        listed = Counter((i in bold, self.lines[i].page) for i in big if _PAGE_REF.search(self.lines[i].text))
        crowded = {at for at, n in Counter((i in bold, self.lines[i].page) for i in big).items() if n > MAX_PER_PAGE}
        found: list[tuple[float, _Line]] = []
        prev = -2
        for i, size in big.items():
            line = self.lines[i]
            kind = i in bold
            if (kind, line.page) in crowded or i in first_last and edges[kind, _key(line.text)] >= RUNNING_PAGES:
                continue
            if listed[kind, line.page] >= CONTENTS_LINES and _PAGE_REF.search(line.text):
                continue  # an entry of a table of contents
            before = found[-1] if found else None
            if before and prev == i - 1 and before[1].page == line.page and abs(before[0] - size) < 0.05 \
                    and abs(before[1].y - line.y) < 2 * size and not _NUMBERED.match(line.text):
                before[1].text += " " + line.text  # a title wrapped over lines
                before[1].y = line.y
            else:
                found.append((size, _Line(line.page, line.y, line.text)))
            prev = i
        return found


_PAGE_REF = re.compile(r"[^\W\d_][\s.]+[0-9ivxlc]+\s*$")
_NUMBERED = re.compile(r"\s*(?:[0-9]+|[A-Z])(?:\.[0-9]+)+\.?\s")  # "7.1.2.1 ": a new heading, not a wrapped one
_BOLD = re.compile(r"bold|black|heavy|demi|\+CMB", re.IGNORECASE)


def _bold(font: Any) -> bool:
    try:
        return bool(_BOLD.search(str(font.get("/BaseFont", ""))))
    except AttributeError:  # no font dictionary
        return False


def _key(text: str) -> str:
    return "".join(c for c in norm_words(text) if not c.isdigit()).strip()


def _squash(text: str) -> str:
    """Words without spaces: pypdf's pieces and its page text may space a numbered title differently."""
    return norm_words(text).replace(" ", "")


def _find(lines: list[tuple[int, str]], want: str, lo: int) -> int | None:
    """Offset of the line at or after ``lo`` that is ``want``, else of the first that opens it (a wrapped title) or
    that it opens (a title run into its line); None when the page text has no such line."""
    if not want:
        return None
    later = [(i, words) for i, words in lines if i >= lo and words]
    for fits in (lambda words: words == want,
                 lambda words: want.startswith(words) and (2 * len(words) >= len(want) or len(words) >= 16),
                 lambda words: words.startswith(want)):
        at = next((i for i, words in later if fits(words)), None)
        if at is not None:
            return at
    return None
