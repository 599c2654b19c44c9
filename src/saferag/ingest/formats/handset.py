"""Headings an author set by hand: a short paragraph in bold, or in a larger size, standing where a heading style
would (rules W1b and O1 in ``benchmarks/retrieval_rules.md``). Format-agnostic: Word (``word_headings.py``) and
OpenDocument (``odf_styles.py``) each resolve a paragraph's bold and sizes into a ``Para``; ``levels`` decides.

Written here because no kept library reads them: python-docx, odfpy, docling and unstructured read styles only, and
docx2txt (LlamaIndex's reader) no headings at all. The rule is the PDF reader's (``typeset.py``) in these terms:
a line clearly larger than the body, or set apart in bold, that does not read as a sentence or a label.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: A line is set larger than the body when its type is at least this many times the body's (a PDF's, ``typeset.py``;
#: Texinfo's subsections are 1.2x, its definition lines 1.1x).
MIN_RATIO = 1.15
#: How a statement or a label ends: a bold line ending so is emphasis ("Never restart during an upgrade.") or a
#: lead-in ("Requirements:"), not a section's title. A question is a common title ("What is DNSSEC?"). With the
#: full stops, commas and colons of Chinese and Japanese (full-width), Arabic and Urdu, and the Indic danda.
_STATEMENT_ENDS = (".", ";", ",", ":", "。", "．", "；", "，", "、", "：", "؛", "،", "۔", "।")
#: A document where more than this share of the paragraphs is set apart (bold, large) is set so throughout, not
#: sectioned (a list of bold terms over their descriptions is about half).
HANDSET_SHARE = 0.75
MAX_LEVEL = 9
#: Paragraph style names (lower case) that mark a list item or a table-of-contents entry ("TOC 1", "Contents 1"),
#: which are often bold and never a section's title.
NOT_TITLE_STYLES = ("list", "toc", "contents")


def is_title(text: str) -> bool:
    """Whether a line set apart by hand (in bold, or large) reads as a section's title: short (at most 120
    characters and 16 words), with a letter, and not ending as a statement or a label does."""
    text = text.strip()
    return 0 < len(text) <= 120 and len(text.split()) <= 16 and any(c.isalpha() for c in text) \
        and not text.endswith(_STATEMENT_ENDS)


@dataclass
class Para:
    """One body paragraph as the rule sees it: its text, its styled heading level (0 for none), and its type."""

    text: str
    styled: int = 0
    listed: bool = False
    bold: bool = False  # every piece of its text bold
    size: float | None = None  # the smallest size any piece of its text is set in (points), None when unknown
    sizes: Counter[float] = field(default_factory=Counter)  # size → characters set in it


def levels(paras: Sequence[Para]) -> list[int]:
    """Each paragraph's heading level: its styled level, a hand-set heading's level by rule W1b, else 0."""
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
