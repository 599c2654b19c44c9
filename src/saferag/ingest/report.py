"""What an ingest did: ``IngestReport``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class IngestReport:
    """What an ingest did; ``failed`` lists each document not ingested and why."""

    documents: int = 0  # documents read successfully (written or unchanged)
    chunks_written: int = 0
    unchanged: int = 0
    replaced: int = 0  # documents whose older version was replaced
    skipped: int = 0  # files under a folder passed over: unsupported type or not matching --glob
    failed: list[dict[str, str]] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
