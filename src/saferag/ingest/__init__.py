"""Ingest: find documents, turn them into text, split, embed and write them to the store.

The pipeline is imported on first use of ``ingest`` or ``IngestReport`` (PEP 562), not with the package: answering
imports ``saferag.ingest.headings``, and a cold `saferag ask` should not pay for the ingest path's HTTP client and
parsers (about 0.2 s of its start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from saferag.ingest.pipeline import IngestReport, ingest

__all__ = ["IngestReport", "ingest"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from saferag.ingest import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
