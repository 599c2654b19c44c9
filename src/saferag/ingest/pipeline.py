"""The ingest: discover, then for each document prepare → plan → write; idempotent and crash-safe.

The stages are modules of their own, so that each can run where it fits (a Ray pipeline could prepare and plan
on workers and keep one writer):

- ``prepare``: read → text → split → hash, store-free (``Preparer``, ``PreparedDocument``);
- ``plan``: against what is stored: unchanged, write, or drop an old version; what ``--prune`` deletes
  (``Planner``, ``Step``);
- ``write``: embed and insert in rounds; the writer owns crash-safety (a version is stored only when whole, the
  old one dropped only after) and when a document counts as done (``Writer``).

Crash safety rests on one invariant. A document version (source + content hash) counts as
stored only when its chunk indexes are exactly ``0 .. chunk_count-1``, each once. New chunks
are written before the old version is deleted, so an interrupted run (Ctrl-C, kill -9) leaves
at worst an incomplete new version beside the intact old one; the next run deletes the
incomplete rows, writes the version again, then drops the old one. It ends with exactly the
chunks of a clean run: nothing duplicated, nothing lost.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

from saferag.embed import Embedder
from saferag.ingest.plan import Planner, is_complete
from saferag.ingest.prepare import (PIPELINE_VERSION, SECTION_KEYS, PreparedDocument, PrepareOptions, Preparer,
                                    document_hash)
from saferag.ingest import sitemaps
from saferag.ingest.crawl import crawl
from saferag.ingest.report import IngestReport
from saferag.ingest.sources import DocumentRef, discover
from saferag.ingest.write import Writer, embedding_text
from saferag.store import Store

__all__ = ["PIPELINE_VERSION", "SECTION_KEYS", "IngestReport", "PreparedDocument", "document_hash",
           "embedding_text", "ingest", "is_complete"]

T = TypeVar("T")
R = TypeVar("R")

#: Stage 1 run somewhere: ``stage(refs, options, whole)`` opens an iterator of each ref's prepared documents,
#: in ``refs`` order. ``whole`` holds the (source, hash) versions already stored whole: a stage that embeds as
#: well (``ingest.on_ray``) skips them and fills ``PreparedDocument.vectors`` for the rest.
PrepareStage = Callable[[Sequence[DocumentRef], PrepareOptions, frozenset[tuple[str, str]]],
                        AbstractContextManager[Iterable[list[PreparedDocument]]]]


@contextmanager
def prepare_here(refs: Sequence[DocumentRef], options: PrepareOptions,
                 whole: frozenset[tuple[str, str]]) -> Iterator[Iterable[list[PreparedDocument]]]:
    """Stage 1 in this process: one thread reads and splits ahead while the writer embeds."""
    with Preparer(options) as prepare:
        yield _prefetch(prepare, refs)


def ingest(inputs: list[str], *, store: Store, embedder: Embedder, chunk_size: int = 512,
           chunk_overlap: int = 51, glob: str | None = None, prune: bool = False,
           timeout: float = 30.0, max_bytes: int = 100 << 20, batch_size: int = 64,
           embed_titles: bool = True, parse_timeout: float = 120.0, ocr_images: bool = False, crawl_max_pages: int = 0,
           on_start: Callable[[int], None] | None = None,
           on_document: Callable[[str], None] | None = None, stage: PrepareStage = prepare_here) -> IngestReport:
    """Ingest files, folders and URLs into ``store``; see the module docstring for guarantees.

    A file may hold several documents (an e-mail and its attachments, ``mail.eml/report.pdf``); each is stored,
    compared and replaced under its own source, and ``prune`` keeps every source a file produced. PDF, Office,
    OpenDocument, EPUB and e-mail files are parsed in a worker process, abandoned after ``parse_timeout`` seconds.
    ``ocr_images`` reads the images in folders and attachments by OCR (an image named on its own always is).
    A URL that is a sitemap stands for its pages (``sitemaps``); with ``crawl_max_pages``, a web page for the pages
    its links lead to under its folder (``crawl``).

    ``embed_titles`` puts each document's title and the chunk's heading path above every chunk it
    embeds (``embedding_text``). ``on_start(total)`` and ``on_document(source)`` let a
    caller draw progress; a document is reported once it is written, found unchanged, or failed.
    ``stage`` runs reading and splitting (and maybe embedding) elsewhere, e.g. on Ray; planning and writing stay
    here, so every guarantee above holds wherever the stage runs.
    """
    t0 = time.perf_counter()
    report = IngestReport()
    found = discover(inputs, glob, images=ocr_images)  # raises before anything is written if a path is missing
    report.skipped = len(found.skipped)
    crawled = crawl(found.refs, max_pages=crawl_max_pages, timeout=timeout, max_bytes=max_bytes) \
        if crawl_max_pages else None
    listed = sitemaps.expand(crawled.refs if crawled else found.refs, timeout=timeout, max_bytes=max_bytes)
    report.failed.extend(listed.failed)
    if on_start:
        on_start(len(listed.refs))
    planner = Planner(store, listed.refs)
    planner.unread |= listed.keep | (crawled.keep if crawled else set())  # unread sitemaps and start pages:
    # their sites keep their stored pages
    writer = Writer(store, embedder, report, batch_size=batch_size, embed_titles=embed_titles,
                    on_document=on_document)
    options = PrepareOptions(chunk_size=chunk_size, chunk_overlap=chunk_overlap, embed_titles=embed_titles,
                             timeout=timeout, max_bytes=max_bytes, parse_timeout=parse_timeout, ocr_images=ocr_images)
    with stage(listed.refs, options, planner.whole()) as groups:
        # Reading and splitting the next documents overlaps with embedding the current batch.
        for group in groups:
            steps = planner.plan(group)
            progress = writer.start(group[0].ref.source, len(group))
            for step in steps:
                writer.apply(step, progress)
        writer.flush_queue()
    if prune:
        writer.prune(planner.to_prune(store.sources()))
    writer.finish()
    report.seconds = time.perf_counter() - t0
    return report


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
