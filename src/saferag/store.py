"""The vector store: a narrow ``Store`` protocol and its Milvus implementation.

``MilvusStore`` talks to Milvus only through ``pymilvus.MilvusClient``: a URI ending in ``.db`` is
a Milvus Lite file (embedded, single process), ``http://host:19530`` a Milvus server or cluster.
Each chunk row holds its tenant, text (BM25-analyzed), source, document hash, chunk index and
count, a dense vector, a sparse BM25 vector that Milvus computes from the text, and JSON metadata.

Tenancy is enforced here, not by callers: a store is scoped to one tenant (``scoped``), and every
read, search and delete it runs carries ``tenant == ...`` ahead of the caller's filter.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import numpy as np

from saferag.errors import CollectionMismatchError, FilterError, StoreError
from saferag.retrieval import Fusion, fuse
from saferag.types import MODES, TENANT_PATTERN, Hit, SearchMode

__all__ = ["MODES", "ChunkRow", "Hit", "MilvusStore", "QueryVector", "SearchMode", "Store", "StoredChunk"]

#: A query's vector, or a function that computes it. Hybrid search calls the function only after the BM25 leg
#: is sent, so the query embedding runs while Milvus scores keywords (docs/benchmarks.md: 14 ms of a 118 ms p50
#: on a 2-core AVX2 CPU with Milvus Lite, whose engine is Python and runs the two legs one after the other).
QueryVector = np.ndarray | Callable[[], np.ndarray]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
_PROP_EMBEDDER = "saferag.embedder"
_PROP_VERSION = "saferag.schema"
_SCHEMA_VERSION = "2"  # 2 added the tenant field (partition key)
_TENANT = re.compile(TENANT_PATTERN)
DEFAULT_TENANT = "default"
_OUTPUT = ["text", "source", "chunk_index", "doc_hash", "metadata"]
_MAX_TEXT = 65535


@dataclass(frozen=True)
class ChunkRow:
    """A chunk ready to write: text, vector and where it came from."""

    text: str
    source: str
    doc_hash: str
    chunk_index: int
    chunk_count: int
    vector: np.ndarray
    metadata: dict[str, Any]


@dataclass(frozen=True)
class StoredChunk:
    """What the ingest needs to know about a chunk already in the store."""

    doc_hash: str
    chunk_index: int
    chunk_count: int


class Store(Protocol):
    """One collection, scoped to one tenant, as saferag uses it: the ingest writes versions of documents and reads
    what is stored (``insert``, ``chunks_of``, ``delete_source``, ``sources``, ``flush``), ``SafeRag`` searches and
    manages documents (``search``, ``count``, ``scoped``, ``check_embedder``, ``close``). ``MilvusStore`` is the
    implementation; every read, search and delete stays within ``tenant``."""

    collection: str
    tenant: str
    embedder_name: str | None
    dim: int | None

    def insert(self, rows: Sequence[ChunkRow]) -> None: ...
    def chunks_of(self, sources: Sequence[str]) -> dict[str, list[StoredChunk]]: ...
    def delete_source(self, source: str, *, except_hash: str | None = None, only_hash: str | None = None) -> int: ...
    def sources(self) -> set[str]: ...
    def count(self) -> int: ...
    def flush(self) -> None: ...
    def search(self, vector: QueryVector | None, text: str, *, k: int = 5, mode: SearchMode = "hybrid",
               filter: str = "", fusion: Fusion | None = None) -> list[Hit]:
        """Top-k chunks, best first; ``FilterError`` when Milvus will not run the ``filter`` expression."""
        ...
    def scoped(self, tenant: str) -> Store: ...
    def check_embedder(self, name: str | None, dim: int) -> None: ...
    def close(self) -> None: ...


_WORD = re.compile(r"\w+")
#: Lucene's English stop set (what Milvus' own ``_english_`` stop filter drops on a server)
#: plus question words. Written out here because Milvus Lite ignores analyzer stop filters.
#: scikit-learn's 318-word list was tried and measured worse: it drops content words such as
#: "full", "back", "first" and "show" (SQLite eval hybrid hit@5 0.80 against 0.88).
STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there "
    "these they this to was will with how do does did i can could should would what when where which "
    "who whom why you your my me we our".split())


def keyword_query(text: str) -> str:
    """The question without stop words, for the BM25 leg.

    Milvus Lite's ``standard`` analyzer keeps stop words, and their posting lists span nearly
    every chunk: dropping them cut BM25 search from 26 to 8 ms p50 at 14k chunks and raised
    BM25 hit@5 on the SQLite eval from 0.64 to 0.80 (docs/benchmarks.md). A question made only
    of stop words is kept as it is.
    """
    words = [w for w in _WORD.findall(text) if w.lower() not in STOP_WORDS]
    return " ".join(words) if words else text


def check_tenant(tenant: str) -> str:
    """``tenant`` if it is a valid tenant name, else a StoreError saying what is allowed."""
    if not isinstance(tenant, str) or not _TENANT.match(tenant):
        raise StoreError(f"invalid tenant {tenant!r}: use 1-64 letters, digits, '_', '.' or '-'")
    return tenant


def quote(value: str) -> str:
    """A Milvus filter-expression string literal (Milvus Lite has no ``filter_params``)."""
    return json.dumps(value, ensure_ascii=False)


class MilvusStore:
    """A saferag collection in Milvus (Lite file or server), opened or created on first use."""

    def __init__(self, uri: str = "./saferag.db", *, token: str = "", collection: str = "saferag",
                 embedder_name: str | None = None, dim: int | None = None, create: bool = True,
                 bm25_stop_words: bool = True, tenant: str = DEFAULT_TENANT) -> None:
        if not _NAME.match(collection):
            raise StoreError(f"invalid collection name {collection!r}: use letters, digits and "
                             "underscores, starting with a letter or underscore")
        self.uri, self.collection, self.bm25_stop_words = uri, collection, bm25_stop_words
        self.tenant = check_tenant(tenant)
        self.has_tenants = True  # False for a collection made before tenants (schema 1)
        self.client = _connect(uri, token)
        self.embedder_name, self.dim = embedder_name, dim
        if self._call("check the collection", self.client.has_collection, collection):
            self._check_and_load()
        elif create:
            if embedder_name is None or dim is None:
                raise StoreError("creating a collection needs the embedder name and dimension")
            try:
                self._create()
            except StoreError as err:
                # Another process (a second `serve` worker) created it since the check: open theirs once it is
                # complete, checked like any existing collection.
                self._open_concurrently_created(err)
        else:
            raise StoreError(f"collection {collection!r} does not exist at {uri}: "
                             "run `saferag ingest` first, or pick another --collection")

    # -- schema -------------------------------------------------------------------------------

    def _create(self) -> None:
        from pymilvus import DataType, Function, FunctionType

        c = self.client
        schema = c.create_schema(auto_id=True, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("tenant", DataType.VARCHAR, max_length=64, is_partition_key=True)
        schema.add_field("text", DataType.VARCHAR, max_length=_MAX_TEXT, enable_analyzer=True)
        schema.add_field("source", DataType.VARCHAR, max_length=4096)
        schema.add_field("doc_hash", DataType.VARCHAR, max_length=64)
        schema.add_field("chunk_index", DataType.INT64)
        schema.add_field("chunk_count", DataType.INT64)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("metadata", DataType.JSON)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                     input_field_names=["text"], output_field_names=["sparse"]))
        index = c.prepare_index_params()
        index.add_index("dense", index_type="AUTOINDEX", metric_type="IP")
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        index.add_index("source", index_type="INVERTED")
        self._call("create the collection", c.create_collection, self.collection, schema=schema,
                   index_params=index,
                   properties={_PROP_EMBEDDER: self.embedder_name, _PROP_VERSION: _SCHEMA_VERSION})

    def _open_concurrently_created(self, create_error: StoreError, wait_s: float = 5.0) -> None:
        """Open a collection another process is creating; raise our create error if none appears.

        The creator's folder exists before its schema and indexes do (milvus-lite server makes them in
        turn), so for a moment the collection is neither absent nor openable: poll until it opens.
        """
        deadline = time.monotonic() + wait_s
        while True:
            try:
                if self._call("check the collection", self.client.has_collection, self.collection):
                    self._check_and_load()
                    return
            except CollectionMismatchError:
                raise
            except StoreError:
                pass
            if time.monotonic() > deadline:
                raise create_error
            time.sleep(0.05)

    def _check_and_load(self) -> None:
        desc = self._call("describe the collection", self.client.describe_collection, self.collection)
        fields = {f["name"]: f for f in desc["fields"]}
        props = desc.get("properties") or {}
        if _PROP_EMBEDDER not in props or not {"dense", "sparse", "text", "source", "doc_hash"} <= fields.keys():
            raise CollectionMismatchError(
                f"collection {self.collection!r} at {self.uri} was not created by saferag; "
                "pick another --collection")
        wanted_name, wanted_dim = self.embedder_name, self.dim
        self.embedder_name, self.dim = props[_PROP_EMBEDDER], int(fields["dense"]["params"]["dim"])
        self.has_tenants = "tenant" in fields
        self._scope("")  # a tenant on a pre-tenant collection fails here, before any work
        if wanted_dim is not None:
            self.check_embedder(wanted_name, wanted_dim)
        self._call("load the collection", self.client.load_collection, self.collection)

    def check_embedder(self, name: str | None, dim: int) -> None:
        """Raise ``CollectionMismatchError`` unless the collection was built by this embedder."""
        if (name, dim) != (self.embedder_name, self.dim):
            raise CollectionMismatchError(
                f"collection {self.collection!r} holds {self.dim}-dim vectors from {self.embedder_name!r}, "
                f"but the configured embedder is {name!r} ({dim}-dim). Use the same embedder "
                "(SAFERAG_EMBED_MODEL), or ingest into a new --collection.")

    def scoped(self, tenant: str) -> MilvusStore:
        """The same collection and connection, restricted to ``tenant``'s chunks."""
        view = copy.copy(self)
        view.tenant = check_tenant(tenant)
        view._scope("")
        return view

    def _scope(self, expr: str) -> str:
        """``expr`` restricted to this store's tenant; the caller's expression cannot widen it."""
        if not self.has_tenants:
            if self.tenant != DEFAULT_TENANT:
                raise StoreError(f"collection {self.collection!r} was created before tenants existed; "
                                 "ingest into a new --collection to use tenants")
            return expr
        own = f"tenant == {quote(self.tenant)}"
        return f"{own} and ({expr})" if expr.strip() else own

    # -- writes -------------------------------------------------------------------------------

    def insert(self, rows: Sequence[ChunkRow]) -> None:
        if not rows:
            return
        tenant = {"tenant": self.tenant} if self.has_tenants else {}
        data = [{**tenant, "text": r.text[:_MAX_TEXT], "source": r.source, "doc_hash": r.doc_hash,
                 "chunk_index": r.chunk_index, "chunk_count": r.chunk_count,
                 "dense": r.vector.tolist(), "metadata": r.metadata} for r in rows]
        self._call("insert chunks", self.client.insert, self.collection, data)

    def delete_source(self, source: str, *, except_hash: str | None = None,
                      only_hash: str | None = None) -> int:
        """Delete a source's chunks (all, all but one document version, or one version)."""
        expr = f"source == {quote(source)}"
        if except_hash is not None:
            expr += f" and doc_hash != {quote(except_hash)}"
        if only_hash is not None:
            expr += f" and doc_hash == {quote(only_hash)}"
        return self._delete(expr)

    def _delete(self, expr: str) -> int:
        res = self._call("delete chunks", self.client.delete, self.collection, filter=self._scope(expr))
        if isinstance(res, dict):
            return int(res.get("delete_count", 0))
        return len(res) if isinstance(res, (list, tuple)) else int(getattr(res, "delete_count", 0))

    def flush(self) -> None:
        """Seal written rows so searches run on indexed segments."""
        self._call("flush", self.client.flush, self.collection)

    def close(self) -> None:
        """Close the connection; for a Milvus Lite file, also stop this process's server for it,
        so another process can open the file (MilvusClient.close() leaves it running)."""
        self.client.close()
        if self.uri.endswith(".db"):
            try:
                from milvus_lite.server_manager import server_manager_instance
            except ImportError:  # pragma: no cover - an older milvus-lite without a manager
                return
            server_manager_instance.release_server(self.uri)

    def drop(self) -> None:
        self._call("drop the collection", self.client.drop_collection, self.collection)

    # -- reads --------------------------------------------------------------------------------

    def chunks_of(self, sources: Sequence[str]) -> dict[str, list[StoredChunk]]:
        """The stored chunks of each of ``sources`` (only those that have any)."""
        out: dict[str, list[StoredChunk]] = {}
        unique = sorted(set(sources))
        for i in range(0, len(unique), 256):
            expr = "source in " + json.dumps(unique[i:i + 256], ensure_ascii=False)
            for row in self._iterate(expr, ["source", "doc_hash", "chunk_index", "chunk_count"]):
                out.setdefault(row["source"], []).append(
                    StoredChunk(row["doc_hash"], int(row["chunk_index"]), int(row["chunk_count"])))
        return out

    def sources(self) -> set[str]:
        return {row["source"] for row in self._iterate("", ["source"])}

    def count(self) -> int:
        """The tenant's chunks."""
        res = self._call("count chunks", self.client.query, self.collection, filter=self._scope(""),
                         output_fields=["count(*)"])
        return int(res[0]["count(*)"])

    def _iterate(self, expr: str, fields: list[str]) -> Iterable[dict[str, Any]]:
        it = self._call("read chunks", self.client.query_iterator, self.collection,
                        batch_size=2000, filter=self._scope(expr), output_fields=fields)
        try:
            while batch := self._call("read chunks", it.next):
                yield from batch
        finally:
            it.close()

    def search(self, vector: QueryVector | None, text: str, *, k: int = 5, mode: SearchMode = "hybrid",
               filter: str = "", fusion: Fusion | None = None) -> list[Hit]:
        """Top-``k`` chunks: ``dense`` (cosine), ``bm25`` (keywords) or ``hybrid`` (both, fused as ``fusion`` says).

        ``vector`` may be a function that embeds the query: hybrid search calls it once the BM25 leg is on its way.
        """
        if mode not in MODES:
            raise StoreError(f"unknown search mode {mode!r}: use one of {', '.join(MODES)}")
        if mode != "bm25" and vector is None:
            raise StoreError(f"{mode} search needs a query vector")
        if mode != "hybrid":
            return self._leg(mode, None if mode == "bm25" else _computed(vector), text, k, filter)
        # Each leg fetches a deeper list than k so fusion can promote chunks ranked well by both.
        fusion = fusion or Fusion()
        depth = max(fusion.candidates, k)
        # The BM25 leg goes first, from a pool thread, and needs no vector: the query is embedded meanwhile. A Milvus
        # server answers the two legs in parallel; Milvus Lite one after the other (docs/benchmarks.md).
        bm25 = _legs_pool().submit(self._leg, "bm25", None, text, depth, filter)
        try:
            dense = self._leg("dense", _computed(vector), text, depth, filter)
        finally:
            keywords = bm25.result()
        return fuse(dense, keywords, fusion)[:k]

    def _leg(self, mode: SearchMode, vector: np.ndarray | None, text: str, k: int, filter: str) -> list[Hit]:
        """One ranked list from the dense or the BM25 index."""
        what = f"search (filter {filter!r})" if filter else "search"
        field, metric = ("dense", "IP") if mode == "dense" else ("sparse", "BM25")
        if mode == "dense":
            if vector is None:
                raise StoreError("dense search needs a query vector")
            data = [vector.tolist()]
        else:
            data = [keyword_query(text) if self.bm25_stop_words else text]
        res = self._call(what, self.client.search, self.collection, data=data, anns_field=field, limit=k,
                         filter=self._scope(filter), output_fields=_OUTPUT, search_params={"metric_type": metric},
                         error=FilterError if filter else StoreError)
        hits = []
        for h in res[0]:
            e = h["entity"]
            score = float(h["distance"])
            # BM25 scores are positive; Milvus Lite reports them negated.
            hits.append(Hit(text=e["text"], source=e["source"], chunk_index=int(e["chunk_index"]),
                            score=abs(score) if mode == "bm25" else score,
                            doc_hash=e.get("doc_hash", ""), metadata=e.get("metadata") or {},
                            dense_score=score if mode == "dense" else None))
        return hits

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, error: type[StoreError] = StoreError,
              **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)``; a Milvus failure is ``error`` with a message that says what could not be done."""
        from pymilvus.exceptions import MilvusException

        try:
            return fn(*args, **kwargs)
        except MilvusException as exc:
            msg = getattr(exc, "message", None) or str(exc)
            raise error(f"Milvus could not {what} in {self.collection!r} at {self.uri}: {msg}") from None


def _computed(vector: QueryVector | None) -> np.ndarray | None:
    """The vector itself, or what the function that computes it returns."""
    return vector() if callable(vector) else vector


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _legs_pool() -> ThreadPoolExecutor:
    """Threads for the BM25 leg of hybrid searches, shared by every store (created on first use)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="saferag-bm25")
        return _POOL


def _connect(uri: str, token: str):
    from pymilvus import MilvusClient

    if uri.endswith(".db"):
        parent = Path(uri).expanduser().resolve().parent
        if not parent.is_dir():
            raise StoreError(f"cannot create Milvus Lite file {uri}: folder {parent} does not exist")
    try:
        return MilvusClient(uri=uri, token=token, timeout=30)
    except Exception as exc:  # pymilvus raises several types for bad URIs and dead servers
        msg = getattr(exc, "message", None) or str(exc)
        if uri.endswith(".db"):  # most often another process holds the file: say which, and what to do
            from saferag.locks import in_use_message, lite_lock_holders

            holders = lite_lock_holders(uri)
            if holders:
                raise StoreError(in_use_message(uri, holders)) from None
        raise StoreError(f"cannot connect to Milvus at {uri}: {msg}") from None
