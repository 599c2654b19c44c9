"""The ingest: discover → read → text → split → hash → embed → write, idempotent and crash-safe.

Crash safety rests on one invariant. A document version (source + content hash) counts as
stored only when its chunk indexes are exactly ``0 .. chunk_count-1``, each once. New chunks
are written before the old version is deleted, so an interrupted run (Ctrl-C, kill -9) leaves
at worst an incomplete new version beside the intact old one; the next run deletes the
incomplete rows, writes the version again, then drops the old one. It ends with exactly the
chunks of a clean run: nothing duplicated, nothing lost.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import httpx

from saferag.embed import Embedder
from saferag.errors import DocumentError
from saferag.ingest.extract import Document, to_text
from saferag.ingest.sources import DocumentRef, discover, read
from saferag.ingest.splitter import Chunk, split
from saferag.store import ChunkRow, Store, StoredChunk

#: Bump when extraction or splitting changes what a document turns into: forces re-ingest.
PIPELINE_VERSION = "1"

T = TypeVar("T")
R = TypeVar("R")


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


@dataclass
class _Prepared:
    ref: DocumentRef
    doc: Document | None = None
    chunks: list[Chunk] = field(default_factory=list)
    doc_hash: str = ""
    error: str = ""


@dataclass
class _Pending:
    """A document whose chunks are queued for embedding; finished when ``remaining`` hits 0."""

    source: str
    doc_hash: str
    chunk_count: int
    remaining: int
    has_other_versions: bool


def document_hash(doc: Document, chunk_size: int, chunk_overlap: int, embed_titles: bool = True) -> str:
    """Content hash of a document's text and everything that decides its chunks and vectors."""
    h = hashlib.sha256(f"{PIPELINE_VERSION}|{chunk_size}|{chunk_overlap}|{embed_titles:d}|{doc.title}\n".encode())
    h.update(doc.text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def is_complete(stored: Sequence[StoredChunk], doc_hash: str) -> bool:
    """Whether the version ``doc_hash`` is stored whole: indexes 0..count-1, each exactly once."""
    rows = [s for s in stored if s.doc_hash == doc_hash]
    return bool(rows) and sorted(r.chunk_index for r in rows) == list(range(rows[0].chunk_count))


def ingest(inputs: list[str], *, store: Store, embedder: Embedder, chunk_size: int = 512,
           chunk_overlap: int = 51, glob: str | None = None, prune: bool = False,
           timeout: float = 30.0, max_bytes: int = 100 << 20, batch_size: int = 64,
           embed_titles: bool = True, on_start: Callable[[int], None] | None = None,
           on_document: Callable[[str], None] | None = None) -> IngestReport:
    """Ingest files, folders and URLs into ``store``; see the module docstring for guarantees.

    ``embed_titles`` puts each document's title above every chunk it embeds (the stored text
    stays the chunk): chunks deep in a page keep the page's topic. On the SQLite eval it raised
    hybrid hit@5 from 0.84 to 0.92. ``on_start(total)`` and ``on_document(source)`` let a
    caller draw progress; a document is reported once it is written, found unchanged, or failed.
    """
    t0 = time.perf_counter()
    report = IngestReport()
    found = discover(inputs, glob)  # raises before anything is written if a path is missing
    report.skipped = len(found.skipped)
    if on_start:
        on_start(len(found.refs))
    stored = store.chunks_of([r.source for r in found.refs])
    seen: set[str] = set()
    queue: list[tuple[_Pending, Chunk, dict[str, Any]]] = []
    changed = False

    def flush_queue() -> None:
        nonlocal changed
        if not queue:
            return
        t = time.perf_counter()
        vectors = embedder.embed_documents(
            [f"{m['title']}\n{c.text}" if embed_titles and m["title"] else c.text for _, c, m in queue])
        report.embed_seconds += time.perf_counter() - t
        store.insert([ChunkRow(text=c.text, source=p.source, doc_hash=p.doc_hash, chunk_index=c.index,
                               chunk_count=p.chunk_count, vector=v, metadata=m)
                      for (p, c, m), v in zip(queue, vectors, strict=True)])
        report.chunks_written += len(queue)
        changed = True
        for p, _, _ in queue:
            p.remaining -= 1
            if p.remaining == 0:
                if p.has_other_versions:
                    # The new version is whole: only now is the old one safe to drop.
                    store.delete_source(p.source, except_hash=p.doc_hash)
                if on_document:
                    on_document(p.source)
        queue.clear()

    with httpx.Client(follow_redirects=True, timeout=timeout, headers={"User-Agent": "saferag"}) as http:
        def prepare(ref: DocumentRef) -> _Prepared:
            try:
                doc = to_text(read(ref, timeout=timeout, max_bytes=max_bytes, client=http))
            except DocumentError as exc:
                return _Prepared(ref, error=str(exc))
            chunks = split(doc.text, size=chunk_size, overlap=chunk_overlap, kind=doc.kind)
            return _Prepared(ref, doc, chunks, document_hash(doc, chunk_size, chunk_overlap, embed_titles))

        # Reading and splitting the next documents overlaps with embedding the current batch.
        for prep in _prefetch(prepare, found.refs):
            source = prep.ref.source
            if source in seen:
                report.failed.append({"source": source, "reason": "duplicate source in this ingest"})
            elif prep.error:
                report.failed.append({"source": source, "reason": prep.error})
                seen.add(source)
            else:
                seen.add(source)
                report.documents += 1
                old = stored.get(source, [])
                others = any(s.doc_hash != prep.doc_hash for s in old)
                if is_complete(old, prep.doc_hash):
                    if others:  # a run died between writing this version and dropping the old one
                        store.delete_source(source, except_hash=prep.doc_hash)
                        report.replaced += 1
                        changed = True
                    else:
                        report.unchanged += 1
                else:
                    if any(s.doc_hash == prep.doc_hash for s in old):
                        # Leftovers of an interrupted write of this very version.
                        store.delete_source(source, only_hash=prep.doc_hash)
                    report.replaced += others
                    n = len(prep.chunks)
                    pending = _Pending(source, prep.doc_hash, n, n, others)
                    for chunk in prep.chunks:
                        queue.append((pending, chunk, _metadata(prep.doc, chunk)))
                    if len(queue) >= batch_size:
                        flush_queue()
                    continue  # counted as done once its chunks are written
            if on_document:
                on_document(source)
        flush_queue()

    if prune:
        for source in sorted(store.sources() - {r.source for r in found.refs}):
            store.delete_source(source)
            report.pruned.append(source)
            changed = True
    if changed:
        store.flush()
    report.seconds = time.perf_counter() - t0
    return report


def _metadata(doc: Document, chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {"title": doc.title, "kind": doc.kind}
    if doc.page_starts:
        meta["page"] = sum(1 for s in doc.page_starts if s <= chunk.start)
    return meta


def _prefetch(fn: Callable[[T], R], items: Iterable[T], ahead: int = 8) -> Iterator[R]:
    """``map(fn, items)`` run one worker thread ahead of the consumer, at most ``ahead`` items."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="saferag-ingest") as pool:
        it = iter(items)
        futures = deque(pool.submit(fn, x) for x in itertools.islice(it, ahead))
        try:
            while futures:
                result = futures.popleft().result()
                nxt = next(it, _END)
                if nxt is not _END:
                    futures.append(pool.submit(fn, nxt))
                yield result
        finally:
            for f in futures:
                f.cancel()


_END: Any = object()
