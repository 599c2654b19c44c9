"""Types shared by the store, retrieval, prompts and guards, so that none of them imports another for its types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SearchMode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[str, ...] = ("hybrid", "dense", "bm25")
#: A tenant name: what the settings accept and what the store puts in its filters (``store.check_tenant``).
TENANT_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


@dataclass(frozen=True)
class Hit:
    """One search result; ``score`` is higher for better matches (its scale depends on the mode)."""

    text: str
    source: str
    score: float
    chunk_index: int
    doc_hash: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    dense_score: float | None = None  # the cosine to the query, where the dense leg found this chunk

    @property
    def headings(self) -> list[str]:
        """The chunk's heading path, outermost first (empty for documents without headings)."""
        return list(self.metadata.get("headings") or [])

    @property
    def link(self) -> str:
        """The source, with ``#anchor`` when the chunk's section has one: where a citation points."""
        anchor = self.metadata.get("anchor") or ""
        return f"{self.source}#{anchor}" if anchor else self.source

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "source": self.source, "score": self.score,
                "chunk_index": self.chunk_index, "metadata": self.metadata}
