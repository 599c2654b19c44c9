"""Stage 1 of the ingest: prepare a document. Read a ref's bytes, turn them into documents (a file may hold
several: an e-mail and its attachments, a mailbox's messages), split each into chunks and hash it.

Nothing here touches the store or the embedder: a ``Preparer`` can run anywhere (a thread, a process, a Ray
actor), and what it returns is plain data (``PreparedDocument``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import httpx

from saferag.errors import DocumentError
from saferag.ingest.extract import Document, Parser, to_documents
from saferag.ingest.headings import chunk_path
from saferag.ingest.rejoin import rejoined
from saferag.ingest.sources import DocumentRef, http_client, read
from saferag.ingest.splitter import Chunk, split_sections

#: Location marks that start a section of their own: no chunk spans two slides or two sheets (pages may).
SECTION_KEYS = frozenset({"slide", "sheet"})

#: Bump when extraction or splitting changes what a document turns into: forces re-ingest.
#: 2: chunks know their heading path and anchor, and embed the path.
#: 3: a heading inside a title's word is no longer left out of the path as a repeat of the title (rule T1): paths
#: change where a document's text and headings, and so its hash, do not.
#: 4: a PDF's chunks join the words its lines' ends hyphenated (rule H2): chunk texts change, the document's do not.
PIPELINE_VERSION = "4"
#: The same for one kind's documents, so that a change to how one kind is split re-embeds only that kind.
#: pdf 1: no chunk of a PDF spans two of its sections (rule S1b).
KIND_VERSIONS = {"pdf": "1"}

#: The kinds whose headings bound chunks as slides and sheets do: a PDF manual's bookmarked (or typeset) sections.
#: Rule S1b: with it, hybrid MRR 0.807 -> 0.862 on four R manuals (0.792 -> 0.866 without bookmarks); the same bounds
#: on HTML pages, whose sections are often shorter than a chunk, lost on sixteen sets (rule S1).
SECTIONED_KINDS = frozenset({"pdf"})
#: A section shorter than this (characters, from its heading to the next) is no span of its own: it joins the next,
#: so a heading over nothing but a deeper heading is not a chunk alone. A quarter of the default chunk (not tuned).
MIN_SECTION = 128


def section_starts(doc: Document, min_section: int = MIN_SECTION) -> list[int]:
    """Where the document's spans start for splitting, so that no chunk spans two: its slides and sheets, and for
    ``SECTIONED_KINDS`` each heading whose section before it holds at least ``min_section`` characters (a chunk's
    heading path and anchor are then its whole text's, not only the section holding most of it)."""
    marks = {at for at, key, _ in doc.marks if key in SECTION_KEYS}
    heads = {h.start for h in doc.headings} if doc.kind in SECTIONED_KINDS else set()
    starts, last = [], 0
    for at in sorted(marks | heads):
        if at in marks or at - last >= min_section:
            starts.append(at)
            last = at
    return starts


@dataclass
class PreparedDocument:
    """One document read from a ref (a file may hold several), split and hashed; or why it could not be."""

    ref: DocumentRef
    source: str
    doc: Document | None = None
    chunks: list[Chunk] = field(default_factory=list)
    doc_hash: str = ""
    error: str = ""
    vectors: Any = None  # the chunks' embeddings (np.ndarray) when a distributed stage computed them already
    embed_seconds: float = 0.0  # what computing ``vectors`` took there


@dataclass(frozen=True)
class PrepareOptions:
    """What decides how a document is read and split (chunking and ``embed_titles`` go into its hash)."""

    chunk_size: int = 512
    chunk_overlap: int = 51
    embed_titles: bool = True
    timeout: float = 30.0  # seconds per HTTP fetch
    max_bytes: int = 100 << 20
    parse_timeout: float = 120.0  # seconds a file may take in the parse worker
    ocr_images: bool = False  # read e-mail attachments' images by OCR (a folder's are chosen by ``discover``)


class Preparer:
    """``preparer(ref)``: the ref's documents, prepared. Holds an HTTP client and the parse worker process, so use
    it as a context manager, one per thread or process that prepares."""

    def __init__(self, options: PrepareOptions = PrepareOptions()) -> None:
        self.options = options
        self._http: httpx.Client | None = None
        self._parser: Parser | None = None

    def __enter__(self) -> Preparer:
        o = self.options
        self._http = http_client(o.timeout)
        self._parser = Parser(timeout=o.parse_timeout, max_bytes=o.max_bytes, images=o.ocr_images)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._parser is not None:
            self._parser.close()
        if self._http is not None:
            self._http.close()
        self._http = self._parser = None

    def __call__(self, ref: DocumentRef) -> list[PreparedDocument]:
        o = self.options
        try:
            docs = to_documents(read(ref, timeout=o.timeout, max_bytes=o.max_bytes, client=self._http),
                                parser=self._parser)
        except DocumentError as exc:
            return [PreparedDocument(ref, ref.source, error=str(exc))]
        out = []
        for doc in docs:
            if doc.error:
                out.append(PreparedDocument(ref, doc.source, error=doc.error))
                continue
            chunks = split_sections(doc.text, section_starts(doc), size=o.chunk_size, overlap=o.chunk_overlap,
                                    kind=doc.kind)
            chunks = rejoined(doc, chunks)  # after splitting: a join moves no boundary
            out.append(PreparedDocument(ref, doc.source, doc, chunks,
                                        document_hash(doc, o.chunk_size, o.chunk_overlap, o.embed_titles)))
        return out


def document_hash(doc: Document, chunk_size: int, chunk_overlap: int, embed_titles: bool = True) -> str:
    """Content hash of a document's text and everything that decides its chunks and vectors."""
    version = PIPELINE_VERSION + (f".{doc.kind}{KIND_VERSIONS[doc.kind]}" if doc.kind in KIND_VERSIONS else "")
    h = hashlib.sha256(f"{version}|{chunk_size}|{chunk_overlap}|{embed_titles:d}|{doc.title}\n".encode())
    h.update(doc.text.encode("utf-8", "surrogatepass"))
    for head in doc.headings:
        line = f"\n{head.start}|{head.level}|{head.anchor}|{head.text}|{head.minor:d}"
        h.update(line.encode("utf-8", "surrogatepass"))
    for offset, key, value in doc.marks:
        h.update(f"\n{offset}|{key}|{value}".encode("utf-8", "surrogatepass"))
    for key, value in sorted(doc.metadata.items()):
        h.update(f"\n{key}={value}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def chunk_metadata(doc: Document, chunk: Chunk) -> dict[str, Any]:
    """Title, kind, the document's own metadata (an e-mail's subject, sender, date), where the chunk starts
    (``page``, ``slide``, ``sheet``), its heading path and anchor, and, where the path ends in minor headings,
    ``section_depth``: how many of its headings name the section the per-source cap counts (``retrieval.place``)."""
    meta: dict[str, Any] = {"title": doc.title, "kind": doc.kind, **doc.metadata}
    meta.update(doc.location(chunk.start))
    if doc.headings:
        path, meta["anchor"] = chunk_path(doc.headings, chunk.start, len(chunk.text), doc.title)
        meta["headings"] = [h.text for h in path]
        if any(h.minor for h in path):
            meta["section_depth"] = sum(not h.minor for h in path)
    return meta
