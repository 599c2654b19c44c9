"""Stage 2 of the ingest: plan against what is stored. For each prepared document, what the write must do:
nothing (unchanged), drop an old version left beside a whole new one, or write the new version (clearing the
leftovers of an interrupted write of it first); and, with ``--prune``, which sources to delete.

A plan reads the store (which versions of a source are there, and whether each is whole) but never writes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from saferag.ingest.prepare import PreparedDocument
from saferag.ingest.sources import DocumentRef
from saferag.store import Store, StoredChunk

#: ``failed``: not read (``reason``); ``duplicate``: a source already seen in this ingest; ``unchanged``: its
#: version is stored whole; ``drop_old``: stored whole beside an older version, which a run died before dropping;
#: ``write``: to be written.
Action = Literal["failed", "duplicate", "unchanged", "drop_old", "write"]


@dataclass(frozen=True)
class Step:
    """What to do with one prepared document."""

    action: Action
    doc: PreparedDocument
    leftovers: bool = False  # write: rows of this very version from an interrupted run, to delete first
    other_versions: bool = False  # write: older versions stored, to drop once the new one is whole

    @property
    def source(self) -> str:
        return self.doc.source


def is_complete(stored: Sequence[StoredChunk], doc_hash: str) -> bool:
    """Whether the version ``doc_hash`` is stored whole: indexes 0..count-1, each exactly once."""
    rows = [s for s in stored if s.doc_hash == doc_hash]
    return bool(rows) and sorted(r.chunk_index for r in rows) == list(range(rows[0].chunk_count))


def step_for(doc: PreparedDocument, stored: Sequence[StoredChunk]) -> Step:
    """The step for a document read without error, given its source's stored chunks."""
    others = any(s.doc_hash != doc.doc_hash for s in stored)
    if is_complete(stored, doc.doc_hash):
        return Step("drop_old" if others else "unchanged", doc)
    return Step("write", doc, leftovers=any(s.doc_hash == doc.doc_hash for s in stored), other_versions=others)


class Planner:
    """Plans an ingest of ``refs``, one ref's documents at a time, against ``store``; remembers the sources seen
    (a second document under one source is a duplicate) and the refs that could not be read (for ``prune``)."""

    def __init__(self, store: Store, refs: Sequence[DocumentRef]) -> None:
        self.store, self.refs = store, list(refs)
        self.stored = store.chunks_of([r.source for r in self.refs])
        self._looked_up = {r.source for r in self.refs}
        self.seen: set[str] = set()
        self.unread: set[str] = set()  # refs that could not be read at all this run

    def whole(self) -> frozenset[tuple[str, str]]:
        """The (source, hash) versions of the refs' sources stored whole: a stage that embeds skips them."""
        return frozenset((source, h) for source, stored in self.stored.items()
                         for h in {s.doc_hash for s in stored} if is_complete(stored, h))

    def plan(self, group: Sequence[PreparedDocument]) -> list[Step]:
        """The steps for one ref's documents, in order."""
        if len(group) == 1 and group[0].error and group[0].source == group[0].ref.source:
            self.unread.add(group[0].source)
        derived = sorted({d.source for d in group} - self._looked_up)
        if derived:  # attachments, messages of a mailbox: their stored versions were not known up front
            self.stored.update(self.store.chunks_of(derived))
            self._looked_up.update(derived)
        steps = []
        for doc in group:
            if doc.source in self.seen:
                steps.append(Step("duplicate", doc))
                continue
            self.seen.add(doc.source)
            steps.append(Step("failed", doc) if doc.error else step_for(doc, self.stored.get(doc.source, [])))
        return steps

    def to_prune(self, stored_sources: Iterable[str]) -> list[str]:
        """The stored sources this ingest did not find, sorted; what a file that could not be read held is kept."""
        present = self.seen | {r.source for r in self.refs}
        return [source for source in sorted(set(stored_sources) - present)
                if not any(source.startswith(f"{parent}/") for parent in self.unread)]
