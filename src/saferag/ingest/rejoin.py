"""Words a PDF hyphenated at a line's end, read whole inside each chunk ("com-\\nmand" -> "command"; rule H2).

TeX and many typesetters break long words over lines and the text layer keeps the hyphen and the line break, so
neither search leg matches "command" there and a passage shows "com-" / "mand". A hyphen at a line's end may also be
a compound's own ("built-\\nin"), so a break is joined only where the document writes the joined word elsewhere and
never writes it with the hyphen: the evidence is the document's own usage, not a dictionary (no kept library does
this for a text layer; the layout stacks that do run models). Soft hyphens (U+00AD) always go.

The join is made in each chunk's text after splitting, not in the document's: joining before (rule H1) shortened
the text and moved every later chunk boundary, and the dense leg lost what BM25 gained. Chunks keep their places.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Collection, Sequence

from saferag.ingest.document import Document
from saferag.ingest.splitter import Chunk

_BREAK = re.compile(r"(?<!\w)(\w+)([-\u00ad])\n(\w+)")  # from a word's start only: linear on long runs
_WORD = re.compile(r"\w+(?:-\w+)*")
_SOFT = "\u00ad"
_LEAD = re.compile(r"\s*")
KINDS = frozenset({"pdf"})  # the kinds whose text keeps a typesetter's line breaks


def rejoined(doc: Document, chunks: Sequence[Chunk]) -> list[Chunk]:
    """``chunks`` of ``doc`` with the words a line's end broke joined, where the document's own usage says so; the
    same chunks, at the same offsets, for other kinds or where nothing is joined."""
    if doc.kind not in KINDS or ("-\n" not in doc.text and _SOFT not in doc.text):
        return list(chunks)
    seen = vocabulary(doc.text)
    heads = {h.start for h in doc.headings}
    out = []
    for chunk in chunks:
        lead = _LEAD.match(doc.text, chunk.start)  # the splitter strips a chunk: its text starts after the blanks
        at = lead.end() if lead else chunk.start
        text = join_breaks(chunk.text, seen, heads, at).strip()
        out.append(chunk if text == chunk.text or not text else Chunk(chunk.index, chunk.start, text))
    return out


def vocabulary(text: str) -> Counter[str]:
    """How often each word and hyphenated word is written; a chain ("--no-split-index") counts its pairs too."""
    seen: Counter[str] = Counter()
    for word in _WORD.findall(text.replace(_SOFT, "")):
        seen[_key(word)] += 1
        parts = word.split("-")
        if len(parts) > 2:
            seen.update(_key(f"{a}-{b}") for a, b in itertools.pairwise(parts))
    return seen


def join_breaks(text: str, seen: Counter[str], heads: Collection[int] = (), at: int = 0) -> str:
    """``text`` with each "head-\\ntail" joined where the tail starts lower case, the head ends in a letter, ``seen``
    holds the joined word and never the hyphenated one, and no heading starts at the tail (``heads``: offsets in the
    document, whose text ``text`` is from offset ``at``); a soft hyphen's break is always joined, and every other soft
    hyphen dropped."""
    def join(m: re.Match[str]) -> str:
        head, mark, tail = m.group(1), m.group(2), m.group(3)
        if at + m.start(3) in heads:
            return m.group(0)
        if mark == _SOFT or (head[-1].isalpha() and tail[0].islower()
                             and seen[_key(head + tail)] and not seen[_key(f"{head}-{tail}")]):
            return head + tail
        return m.group(0)

    return _BREAK.sub(join, text).replace(_SOFT, "")


def _key(word: str) -> str:
    """A word as counted: only its first letter lower-cased, so "Command" at a sentence's start is "command" but
    "splitIndex" (a setting's name) is not "splitindex"."""
    return word[:1].lower() + word[1:]
