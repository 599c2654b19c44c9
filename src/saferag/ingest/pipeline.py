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
from saferag.ingest.extract import Document, Parser, to_documents
from saferag.ingest.headings import SEPARATOR, chunk_headings
from saferag.ingest.sources import DocumentRef, discover, read
from saferag.ingest.splitter import Chunk, split_sections
from saferag.store import ChunkRow, Store, StoredChunk

#: Location marks that start a section of their own: no chunk spans two slides or two sheets (pages may).
SECTION_KEYS = frozenset({"slide", "sheet"})

#: Bump when extraction or splitting changes what a document turns into: forces re-ingest.
#: 2: chunks know their heading path and anchor, and embed the path.
PIPELINE_VERSION = "2"

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
    """One document read from a ref (a file may hold several: an e-mail and its attachments), or why not."""

    ref: DocumentRef
    source: str
    doc: Document | None = None
    chunks: list[Chunk] = field(default_factory=list)
    doc_hash: str = ""
    error: str = ""


@dataclass
class _RefProgress:
    """A ref counts as done (``on_document``) once each of its documents is written, unchanged or failed."""

    source: str
    left: int


@dataclass
class _Pending:
    """A document whose chunks are queued for embedding; finished when ``remaining`` hits 0."""

    source: str
    doc_hash: str
    chunk_count: int
    remaining: int
    has_other_versions: bool
    progress: _RefProgress


def document_hash(doc: Document, chunk_size: int, chunk_overlap: int, embed_titles: bool = True) -> str:
    """Content hash of a document's text and everything that decides its chunks and vectors."""
    h = hashlib.sha256(f"{PIPELINE_VERSION}|{chunk_size}|{chunk_overlap}|{embed_titles:d}|{doc.title}\n".encode())
    h.update(doc.text.encode("utf-8", "surrogatepass"))
    for head in doc.headings:
        h.update(f"\n{head.start}|{head.level}|{head.anchor}|{head.text}".encode("utf-8", "surrogatepass"))
    for offset, key, value in doc.marks:
        h.update(f"\n{offset}|{key}|{value}".encode("utf-8", "surrogatepass"))
    for key, value in sorted(doc.metadata.items()):
        h.update(f"\n{key}={value}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def embedding_text(text: str, metadata: dict[str, Any], embed_titles: bool = True) -> str:
    """What is embedded for a chunk: its title and heading path above its text (the stored text is the chunk).

    Chunks deep in a page keep the page's topic and their section's: on the SQLite eval the title alone raised
    hybrid hit@5 from 0.84 to 0.92 (docs/benchmarks.md has the heading path's numbers).
    """
    if not embed_titles:
        return text
    context = [metadata.get("title") or "", SEPARATOR.join(metadata.get("headings") or ())]
    head = "\n".join(c for c in context if c)
    return f"{head}\n{text}" if head else text


def is_complete(stored: Sequence[StoredChunk], doc_hash: str) -> bool:
    """Whether the version ``doc_hash`` is stored whole: indexes 0..count-1, each exactly once."""
    rows = [s for s in stored if s.doc_hash == doc_hash]
    return bool(rows) and sorted(r.chunk_index for r in rows) == list(range(rows[0].chunk_count))


def ingest(inputs: list[str], *, store: Store, embedder: Embedder, chunk_size: int = 512,
           chunk_overlap: int = 51, glob: str | None = None, prune: bool = False,
           timeout: float = 30.0, max_bytes: int = 100 << 20, batch_size: int = 64,
           embed_titles: bool = True, parse_timeout: float = 120.0, on_start: Callable[[int], None] | None = None,
           on_document: Callable[[str], None] | None = None) -> IngestReport:
    """Ingest files, folders and URLs into ``store``; see the module docstring for guarantees.

    A file may hold several documents (an e-mail and its attachments, ``mail.eml/report.pdf``); each is stored,
    compared and replaced under its own source, and ``prune`` keeps every source a file produced. PDF, Office,
    OpenDocument, EPUB and e-mail files are parsed in a worker process, abandoned after ``parse_timeout`` seconds.

    ``embed_titles`` puts each document's title and the chunk's heading path above every chunk it
    embeds (``embedding_text``). ``on_start(total)`` and ``on_document(source)`` let a
    caller draw progress; a document is reported once it is written, found unchanged, or failed.
    """
    t0 = time.perf_counter()
    report = IngestReport()
    found = discover(inputs, glob)  # raises before anything is written if a path is missing
    report.skipped = len(found.skipped)
    if on_start:
        on_start(len(found.refs))
    stored_sources = [r.source for r in found.refs]
    stored = store.chunks_of(stored_sources)
    seen: set[str] = set()
    unread: set[str] = set()  # refs that could not be read at all this run
    queue: list[tuple[_Pending, Chunk, dict[str, Any]]] = []
    changed = False

    def flush_queue() -> None:
        nonlocal changed
        if not queue:
            return
        t = time.perf_counter()
        vectors = embedder.embed_documents([embedding_text(c.text, m, embed_titles) for _, c, m in queue])
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
                done(p.progress)
        queue.clear()

    def done(progress: _RefProgress) -> None:
        progress.left -= 1
        if progress.left == 0 and on_document:
            on_document(progress.source)

    with httpx.Client(follow_redirects=True, timeout=timeout, headers={"User-Agent": "saferag"}) as http, \
            Parser(timeout=parse_timeout, max_bytes=max_bytes) as parser:
        def prepare(ref: DocumentRef) -> list[_Prepared]:
            try:
                docs = to_documents(read(ref, timeout=timeout, max_bytes=max_bytes, client=http), parser=parser)
            except DocumentError as exc:
                return [_Prepared(ref, ref.source, error=str(exc))]
            out = []
            for doc in docs:
                if doc.error:
                    out.append(_Prepared(ref, doc.source, error=doc.error))
                    continue
                chunks = split_sections(doc.text, [o for o, key, _ in doc.marks if key in SECTION_KEYS],
                                        size=chunk_size, overlap=chunk_overlap, kind=doc.kind)
                out.append(_Prepared(ref, doc.source, doc, chunks,
                                     document_hash(doc, chunk_size, chunk_overlap, embed_titles)))
            return out

        looked_up = set(stored_sources)
        # Reading and splitting the next documents overlaps with embedding the current batch.
        for group in _prefetch(prepare, found.refs):
            if len(group) == 1 and group[0].error and group[0].source == group[0].ref.source:
                unread.add(group[0].source)
            derived = sorted({p.source for p in group} - looked_up)
            if derived:  # attachments, messages of a mailbox: their stored versions were not known up front
                stored.update(store.chunks_of(derived))
                looked_up.update(derived)
            progress = _RefProgress(group[0].ref.source, len(group))
            for prep in group:
                source = prep.source
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
                        pending = _Pending(source, prep.doc_hash, n, n, others, progress)
                        for chunk in prep.chunks:
                            queue.append((pending, chunk, _metadata(prep.doc, chunk)))
                        if len(queue) >= batch_size:
                            flush_queue()
                        continue  # counted as done once its chunks are written
                done(progress)
        flush_queue()

    if prune:
        present = seen | {r.source for r in found.refs}
        for source in sorted(store.sources() - present):
            if any(source.startswith(f"{parent}/") for parent in unread):
                continue  # a file that could not be read this time: what it held before is kept
            store.delete_source(source)
            report.pruned.append(source)
            changed = True
    if changed:
        store.flush()
    report.seconds = time.perf_counter() - t0
    return report


def _metadata(doc: Document, chunk: Chunk) -> dict[str, Any]:
    """Title, kind, the document's own metadata (an e-mail's subject, sender, date), where the chunk starts
    (``page``, ``slide``, ``sheet``), and its heading path and anchor."""
    meta: dict[str, Any] = {"title": doc.title, "kind": doc.kind, **doc.metadata}
    meta.update(doc.location(chunk.start))
    if doc.headings:
        meta["headings"], meta["anchor"] = chunk_headings(doc.headings, chunk.start, len(chunk.text), doc.title)
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
