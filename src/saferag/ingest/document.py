"""``Document``: one document as text, with where its pages, slides, sheets and sections start."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from saferag.ingest.headings import Heading

#: A location mark: (offset in ``text``, key, value), e.g. (0, "page", 1), (1520, "slide", 2), (0, "sheet", "Budget").
Mark = tuple[int, str, "int | str"]
#: The mark keys a source is shown with, in this order: "page 4", "slide 2", "sheet Budget", "cell 12".
PLACE_KEYS = ("page", "slide", "sheet", "cell")


@dataclass
class Document:
    """A document as text, ready to split.

    ``marks`` say where each page (PDF), slide (pptx, odp), sheet (xlsx, ods) or cell (ipynb) starts; every chunk
    gets, per key, the value of the last mark at or before its start. ``metadata`` is put on every chunk too (an
    e-mail's subject, sender and date). ``error`` is set, and ``text`` empty, for a document that came out of another
    one (an e-mail's attachment) and could not be read: it is reported under its own source.
    """

    source: str
    kind: str
    text: str
    title: str
    marks: list[Mark] = field(default_factory=list)
    #: Section headings (HTML, Markdown, Office, OpenDocument, EPUB, PDF bookmarks) in text order, at their offsets.
    headings: list[Heading] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def page_starts(self) -> list[int]:
        """Start offset in ``text`` of each PDF page (page 1 first); empty for other kinds."""
        return [offset for offset, key, _ in self.marks if key == "page"]

    def location(self, offset: int) -> dict[str, int | str]:
        """Per mark key, the value of the last mark starting at or before ``offset``."""
        best: dict[str, tuple[int, int | str]] = {}
        for start, key, value in self.marks:
            if start <= offset and (key not in best or start >= best[key][0]):
                best[key] = (start, value)
        return {key: value for key, (_, value) in best.items()}
