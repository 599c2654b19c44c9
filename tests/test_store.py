"""MilvusStore on real Milvus Lite, and over gRPC against a real `milvus-lite server`."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest
from conftest import free_port
from corpus import QUESTIONS

from saferag.errors import CollectionMismatchError, FilterError, StoreError
from saferag.store import MilvusStore, quote


@pytest.fixture
def loaded(make_rag, corpus):
    rag = make_rag()
    rag.ingest([str(corpus)])
    return rag


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_modes_return_k_hits_best_first_with_all_fields(loaded, mode):
    # BM25 only returns chunks that share a content word with the query, so give it several.
    q = "compost for the garden soil, lava on a planet" if mode == "bm25" else QUESTIONS["garden/compost.md"]
    hits = loaded.search(q, k=4, mode=mode)
    assert len(hits) == 4
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].source == "garden/compost.md"
    assert hits[0].text and hits[0].chunk_index >= 0 and hits[0].metadata["kind"] == "markdown"


def test_bm25_matches_exact_keywords_that_dense_may_miss(loaded):
    hits = loaded.search("Callisto Ganymede", k=1, mode="bm25")
    assert hits[0].source == "space/jupiter.txt" and hits[0].score > 0


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_filters_restrict_every_mode(loaded, mode):
    hits = loaded.search("garden compost, flour and water", k=5, mode=mode, filter='source like "kitchen/%"')
    assert hits and {h.source for h in hits} == {"kitchen/sourdough.md"}
    pdf = loaded.search("chain", k=5, mode=mode, filter='metadata["kind"] == "pdf" and metadata["page"] == 1')
    assert [(h.source, h.metadata["page"]) for h in pdf] == [("manuals/bicycle.pdf", 1)]
    assert loaded.search("chain", k=5, mode=mode, filter='metadata["page"] == 2') == []


def test_a_bad_filter_is_a_clear_error(loaded):
    with pytest.raises(FilterError, match="filter 'source =='"):  # a StoreError, typed: callers need not read it
        loaded.search("anything", filter="source ==")
    assert issubclass(FilterError, StoreError)


def test_documents_count_and_delete_through_saferag(loaded):
    docs = loaded.documents()
    assert docs == sorted(docs) and "garden/compost.md" in docs and len(docs) == loaded.stats()["documents"]
    before = loaded.chunk_count()
    assert before == loaded.stats()["chunks"] and before > 0
    n = loaded.delete("garden/compost.md")
    assert n > 0 and loaded.chunk_count() == before - n and "garden/compost.md" not in loaded.documents()
    assert loaded.delete("garden/compost.md") == 0


def test_other_embedder_or_dimension_is_refused(loaded, tmp_path):
    uri = loaded.settings.milvus_uri
    loaded.close()
    with pytest.raises(CollectionMismatchError, match="384-dim vectors from 'sentence-transformers/all-MiniLM-L6-v2'"):
        MilvusStore(uri, collection="docs", embedder_name="BAAI/bge-large-en-v1.5", dim=1024)
    with pytest.raises(CollectionMismatchError, match="configured embedder is 'other/minilm'"):
        MilvusStore(uri, collection="docs", embedder_name="other/minilm", dim=384)


def test_collection_not_made_by_saferag_is_refused(tmp_path):
    from pymilvus import MilvusClient

    uri = str(tmp_path / "foreign.db")
    client = MilvusClient(uri)
    client.create_collection("docs", dimension=8)
    client.close()
    with pytest.raises(CollectionMismatchError, match="not created by saferag"):
        MilvusStore(uri, collection="docs", embedder_name="x", dim=8)


def test_missing_collection_and_bad_names(tmp_path):
    with pytest.raises(StoreError, match="does not exist.*saferag ingest"):
        MilvusStore(str(tmp_path / "x.db"), collection="nothing_here", create=False)
    with pytest.raises(StoreError, match="invalid collection name"):
        MilvusStore(str(tmp_path / "x.db"), collection="bad-name!", create=False)
    with pytest.raises(StoreError, match="folder .* does not exist"):
        MilvusStore(str(tmp_path / "no" / "such" / "dir.db"), collection="c", create=False)


def test_quote_makes_any_source_a_safe_literal(tmp_path):
    store = MilvusStore(str(tmp_path / "q.db"), collection="q", embedder_name="t", dim=2)
    from saferag.store import ChunkRow

    odd = ['say "hi"', "back\\slash", "it's", "ünï/cödé.md", 'x" or source != "']
    store.insert([ChunkRow(text=f"t{i}", source=s, doc_hash="h", chunk_index=0, chunk_count=1,
                           vector=np.array([1.0, 0.0], dtype=np.float32), metadata={}) for i, s in enumerate(odd)])
    for s in odd:
        assert store.delete_source(s) == 1, s
    assert store.count() == 0
    assert quote('a"b') == '"a\\"b"'


@pytest.mark.slow
def test_remote_uri_ingest_search_and_reingest(make_rag, corpus, milvus_server):
    rag = make_rag(milvus_server)
    first = rag.ingest([str(corpus)])
    assert first.documents == 6 and first.chunks_written > 6
    for mode in ("hybrid", "dense", "bm25"):
        assert rag.search(QUESTIONS["kitchen/sourdough.md"], k=2, mode=mode)[0].source == "kitchen/sourdough.md"
    assert rag.ingest([str(corpus)]).chunks_written == 0
    assert rag.stats()["chunks"] == first.chunks_written


def test_unreachable_server_is_a_clear_error():
    with pytest.raises(StoreError, match=r"cannot connect to Milvus at http://127\.0\.0\.1:"):
        MilvusStore(f"http://127.0.0.1:{free_port()}", collection="c", create=False)


def test_keyword_query_drops_stop_words_but_never_everything():
    from saferag.store import keyword_query

    assert keyword_query("How do I turn on foreign key checks?") == "turn foreign key checks"
    assert keyword_query("what is it?") == "what is it?"


def test_stop_words_do_not_change_what_bm25_finds(loaded):
    q = "What are the moons that Galileo discovered with the telescope?"
    with_stop = loaded.open_existing()
    hits = with_stop.search(None, q, k=1, mode="bm25")
    with_stop.bm25_stop_words = False
    assert hits[0].source == with_stop.search(None, q, k=1, mode="bm25")[0].source == "space/jupiter.txt"


def test_close_releases_a_lite_file_for_another_process(make_rag, corpus, tmp_path):
    rag = make_rag(str(tmp_path / "shared.db"))
    rag.ingest([str(corpus)])
    rag.close()
    code = ("from saferag import SafeRag; "
            f"print(SafeRag(milvus_uri={str(tmp_path / 'shared.db')!r}, collection='docs').stats()['documents'])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "6", proc.stderr[-2000:]


def test_hybrid_embeds_the_query_while_the_bm25_leg_runs(loaded):
    # The query vector may be a function; hybrid search calls it only after sending the BM25 leg, so the embedding
    # overlaps the keyword search. The function waits for the BM25 leg to start: embedding first would time out.
    store, q = loaded.store, QUESTIONS["garden/compost.md"]
    leg = store._leg
    bm25_started = threading.Event()

    def watched_leg(mode, *args):
        if mode == "bm25":
            bm25_started.set()
        return leg(mode, *args)

    def embed_after_bm25_left():
        assert bm25_started.wait(10), "the query was embedded before the BM25 leg was sent"
        return loaded.embedder.embed_query(q)

    store._leg = watched_leg
    try:
        lazily = store.search(embed_after_bm25_left, q, k=4, mode="hybrid")
    finally:
        del store._leg
    eager = store.search(loaded.embedder.embed_query(q), q, k=4, mode="hybrid")
    assert [(h.source, h.chunk_index) for h in lazily] == [(h.source, h.chunk_index) for h in eager]
    assert lazily[0].source == "garden/compost.md"
    # The function is called for dense search too, and its failure is the caller's error, not a hang.
    assert store.search(lambda: loaded.embedder.embed_query(q), q, k=1, mode="dense")[0].source == "garden/compost.md"

    def broken():
        raise RuntimeError("embedder down")

    with pytest.raises(RuntimeError, match="embedder down"):
        store.search(broken, q, k=4, mode="hybrid")



def test_two_workers_creating_one_collection_at_once_both_open_it(milvus_server):
    # Two `saferag serve` workers starting on an empty server both see no collection and create it at once; the
    # slower create fails (milvus-lite server: "File exists", 10 of 10 rounds before the fix), sometimes while the
    # other's schema is not yet written, so the collection is not there yet either. It must open the collection the
    # other made, not crash.
    for round_ in range(20):
        name, stores, errors = f"raced_{round_}", [], []
        together = threading.Barrier(2)

        def open_store(name=name, together=together, stores=stores, errors=errors):
            together.wait()
            try:
                stores.append(MilvusStore(milvus_server, collection=name, embedder_name="e", dim=8))
            except Exception as exc:
                errors.append(exc)

        workers = [threading.Thread(target=open_store) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert not errors and len(stores) == 2 and {s.count() for s in stores} == {0}
        for s in stores:
            s.close()
    # A different embedder still meets the mismatch check, not a silent open.
    with pytest.raises(CollectionMismatchError):
        MilvusStore(milvus_server, collection="raced_0", embedder_name="other", dim=8)
