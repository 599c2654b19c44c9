"""Ingest: find documents, turn them into text, split, embed and write them to the store."""

from saferag.ingest.pipeline import IngestReport, ingest

__all__ = ["IngestReport", "ingest"]
