"""Recursive character splitting into ~``size``-character chunks that overlap by ``overlap``.

Boundaries come from semantic-text-splitter (Rust; paragraphs, then lines, sentences, words),
asked for chunks of ``size - overlap``. Its own overlap only repeats whole units of the level it
split at, so on prose most neighbouring chunks share nothing (measured: 40% of pairs, 11
characters on average). We therefore extend each chunk backwards by up to ``overlap``
characters, snapped to a word start: every chunk stays within ``size`` and carries real context.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from semantic_text_splitter import MarkdownSplitter, TextSplitter


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int  # offset of the chunk's first character in the document text
    text: str


#: Kinds whose text is Markdown, split at its own structure (headings, fences, lists) first.
MARKDOWN_KINDS = frozenset({"markdown", "ipynb"})


@lru_cache(maxsize=8)
def _splitter(kind: str, capacity: int):
    cls = MarkdownSplitter if kind in MARKDOWN_KINDS else TextSplitter
    return cls(capacity, trim=True)


def split(text: str, *, size: int = 512, overlap: int = 51, kind: str = "text") -> list[Chunk]:
    """Split ``text`` into chunks of at most ``size`` characters, each overlapping the one before."""
    if overlap >= size:
        raise ValueError("overlap must be smaller than size")
    spans = _splitter(kind, size - overlap).chunk_indices(text)
    chunks: list[Chunk] = []
    prev_start = 0
    for i, (start, body) in enumerate(spans):
        new_start = start
        if i and overlap:
            lo = max(prev_start, start - overlap)
            # Begin the overlap at a word boundary inside the window, never mid-word.
            cut = next((j + 1 for j in range(lo, start) if text[j].isspace()), start)
            new_start = cut if cut < start else start
        prev_start = start
        piece = text[new_start:start + len(body)].strip()
        chunks.append(Chunk(index=i, start=new_start, text=piece))
    return chunks


def split_sections(text: str, starts: list[int], *, size: int = 512, overlap: int = 51,
                   kind: str = "text") -> list[Chunk]:
    """``split`` each section on its own (``starts``: where slides or sheets begin), so no chunk spans two and
    each chunk's slide or sheet is the one it shows; chunk indexes run on across the sections."""
    bounds = sorted({0, *(s for s in starts if 0 < s < len(text)), len(text)})
    chunks: list[Chunk] = []
    for lo, hi in pairwise(bounds):
        for c in split(text[lo:hi], size=size, overlap=overlap, kind=kind):
            if c.text:
                chunks.append(Chunk(index=len(chunks), start=lo + c.start, text=c.text))
    return chunks
