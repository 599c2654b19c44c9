"""Tenants share one collection and never see each other's chunks (real Milvus Lite)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from saferag.errors import StoreError
from saferag.store import ChunkRow, MilvusStore

TEAM_B_DOCS = {
    "handbook/oncall.md": "The on-call engineer answers pages within fifteen minutes and writes a postmortem "
                          "for every outage that lasts longer than an hour.",
    "handbook/expenses.md": "Travel expenses are reimbursed within thirty days when the receipt is uploaded "
                            "to the finance portal before the end of the month.",
    "kitchen/sourdough.md": "Team B's sourdough notes: our starter lives in the office fridge and is fed on Mondays.",
}


@pytest.fixture
def two_tenants(make_rag, corpus, tmp_path):
    """Tenant ``a`` holds the shared test corpus, tenant ``b`` its own documents, one of them
    under a source name that tenant ``a`` also has."""
    b_dir = tmp_path / "team_b"
    for name, text in TEAM_B_DOCS.items():
        (b_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (b_dir / name).write_text(text)
    rag = make_rag()
    a, b = rag.for_tenant("a"), rag.for_tenant("b")
    a.ingest([str(corpus)])
    report = b.ingest([str(b_dir)])
    # b's copy of a source name that a also holds is written, not taken as already stored
    assert report.documents == len(TEAM_B_DOCS) and report.chunks_written >= len(TEAM_B_DOCS)
    return rag, a, b, corpus


def _words(texts, rng, n):
    words = sorted({w.strip(".,:;'\"()").lower() for t in texts for w in t.split() if len(w) > 3})
    return [" ".join(rng.sample(words, 3)) for _ in range(n)]


def test_randomized_queries_never_cross_tenants(two_tenants):
    rag, a, b, corpus = two_tenants
    a_texts = [p.read_text() for p in corpus.rglob("*.md")]
    a_sources = {p.relative_to(corpus).as_posix() for p in corpus.rglob("*") if p.is_file()}
    b_ids = {(h.source, h.text) for h in b.search("on-call expenses sourdough starter", k=50, mode="bm25")}
    assert {s for s, _ in b_ids} == set(TEAM_B_DOCS)
    rng = random.Random(7)
    queries = _words(a_texts, rng, 12) + _words(TEAM_B_DOCS.values(), rng, 12)
    seen_a = seen_b = 0
    for q in queries:
        for mode in ("hybrid", "dense", "bm25"):
            for hit in a.search(q, k=10, mode=mode):
                assert (hit.source, hit.text) not in b_ids, (q, mode, hit.source)
                assert hit.source in a_sources
                seen_a += 1
            for hit in b.search(q, k=10, mode=mode):
                assert hit.source in TEAM_B_DOCS and (hit.source, hit.text) in b_ids, (q, mode, hit.source)
                seen_b += 1
    assert seen_a > 100 and seen_b > 50  # the queries did reach both tenants' chunks


def test_a_filter_cannot_widen_the_tenant(two_tenants):
    _, a, b, _ = two_tenants
    escape = 'tenant == "b" or source != ""'
    hits = a.search("sourdough starter fridge", k=20, mode="bm25", filter=escape)
    assert hits and all("office fridge" not in h.text for h in hits)
    assert not b.search("sourdough", k=20, mode="bm25", filter='tenant == "a"')


def test_delete_and_stats_stay_within_the_tenant(two_tenants):
    rag, a, b, _ = two_tenants
    before_b = b.stats()["chunks"]
    assert a.delete("kitchen/sourdough.md") > 0
    assert b.stats()["chunks"] == before_b
    assert "kitchen/sourdough.md" in b.open_existing().sources()
    assert "kitchen/sourdough.md" not in a.open_existing().sources()
    assert rag.stats()["chunks"] == 0  # the default tenant holds nothing here


def test_bad_tenant_names_are_refused(make_rag):
    rag = make_rag()
    with pytest.raises(StoreError, match="invalid tenant"):
        rag.store.scoped('x" or tenant != "')
    with pytest.raises(StoreError, match="invalid tenant ''"):
        rag.for_tenant("")


def test_a_pre_tenant_collection_serves_only_the_default_tenant(tmp_path):
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    uri = str(tmp_path / "v1.db")
    client = MilvusClient(uri)
    schema = client.create_schema(auto_id=True, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("text", DataType.VARCHAR, max_length=1000, enable_analyzer=True)
    for name in ("source", "doc_hash"):
        schema.add_field(name, DataType.VARCHAR, max_length=100)
    for name in ("chunk_index", "chunk_count"):
        schema.add_field(name, DataType.INT64)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=2)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("metadata", DataType.JSON)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                 input_field_names=["text"], output_field_names=["sparse"]))
    index = client.prepare_index_params()
    index.add_index("dense", index_type="AUTOINDEX", metric_type="IP")
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    client.create_collection("old", schema=schema, index_params=index,
                             properties={"saferag.embedder": "t", "saferag.schema": "1"})
    client.close()

    store = MilvusStore(uri, collection="old", embedder_name="t", dim=2)
    store.insert([ChunkRow(text="old text", source="s", doc_hash="h", chunk_index=0, chunk_count=1,
                           vector=np.array([1.0, 0.0], dtype=np.float32), metadata={})])
    assert store.count() == 1
    with pytest.raises(StoreError, match="created before tenants"):
        store.scoped("team_a")
    store.close()
