"""The served embedder (``embed_backend = "openai"``) against a real embedding server, Infinity, on 127.0.0.1
serving the packaged MiniLM: the same vectors as in process, ingest and search through it, and one-line errors
when the server is down, slow, or gives vectors of another size (those two from a FAKE server: no real one
does either on demand)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import free_port
from corpus import QUESTIONS
from fake_embeddings import FakeEmbeddings

from saferag.embed import PACKAGED_MODEL_NAME, load_embedder
from saferag.embed_served import ServedEmbedder
from saferag.config import Settings
from saferag.errors import CollectionMismatchError, EmbedderError

TEXTS = ["SQLite's write-ahead log lets readers continue while a writer appends.",
         "VACUUM rebuilds the database file, repacking it into a minimal amount of disk space.",
         "Bonjour", "", "A much longer passage " * 40]


def test_served_vectors_match_the_in_process_ones(embedding_server, embedder):
    served = ServedEmbedder(embedding_server, model=PACKAGED_MODEL_NAME, batch_size=2, concurrency=3)
    assert (served.name, served.dim) == (embedder.name, embedder.dim) == (PACKAGED_MODEL_NAME, 384)
    many = TEXTS * 7  # several batches in flight at once: order must survive
    docs, local = served.embed_documents(many), embedder.embed_documents(many)
    assert docs.shape == (len(many), 384) and np.allclose(np.linalg.norm(docs, axis=1), 1, atol=1e-5)
    assert (docs * local).sum(axis=1).min() >= 0.999
    query = "how do readers and writers share a database?"
    assert float(served.embed_query(query) @ embedder.embed_query(query)) >= 0.999
    assert served.embed_documents([]).shape == (0, 384)
    served.close()


def test_ingest_and_search_through_the_server_and_a_collection_built_in_process_still_fits(
        embedding_server, make_rag, corpus):
    served = dict(embed_backend="openai", embed_base_url=embedding_server, embed_model=PACKAGED_MODEL_NAME)
    rag = make_rag(**served, embedder=None)
    assert isinstance(rag.embedder, ServedEmbedder)
    report = rag.ingest([corpus])
    assert report.chunks_written > 0 and not report.failed
    for source, question in QUESTIONS.items():
        assert rag.search(question, k=5)[0].source == source
    used = rag.embedder
    rag.close()  # closes the embedder's connections and threads; a later use builds a new one
    assert used._client.is_closed() and used._pool._shutdown
    local = make_rag()  # the in-process MiniLM reads the same collection: same model name, same dimension
    assert local.search(QUESTIONS["networking/tcp.html"], k=1)[0].source == "networking/tcp.html"


def test_a_collection_of_another_model_is_refused(embedding_server, make_rag, corpus):
    make_rag().ingest([corpus])  # built by the in-process MiniLM
    other = make_rag(embed_backend="openai", embed_base_url=embedding_server, embed_model="BAAI/bge-small-en-v1.5",
                     embedder=None)
    with pytest.raises(CollectionMismatchError, match="bge-small"):
        other.search("anything")


def test_vectors_of_another_dimension_are_refused(make_rag, corpus):
    make_rag().ingest([corpus])  # 384 dimensions
    with FakeEmbeddings(free_port(), dim=8) as fake:
        rag = make_rag(embed_backend="openai", embed_base_url=fake.url, embed_model=PACKAGED_MODEL_NAME, embedder=None)
        with pytest.raises(CollectionMismatchError, match="384") as err:
            rag.search("anything")
    assert "\n" not in str(err.value)


def test_a_server_that_is_down_is_one_clear_line():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(EmbedderError, match=r"cannot reach the embedding server at http://127\.0\.0\.1:\d+/v1") as err:
        load_embedder(Settings(embed_backend="openai", embed_base_url=url, embed_model="m", embed_max_retries=1))
    assert "\n" not in str(err.value) and "SAFERAG_EMBED_BASE_URL" in str(err.value)


def test_a_slow_server_times_out_after_its_retries():
    with FakeEmbeddings(free_port(), delay=2.0) as fake:
        with pytest.raises(EmbedderError, match=r"did not answer within 0\.3s \(SAFERAG_EMBED_TIMEOUT\)"):
            ServedEmbedder(fake.url, model="m", timeout=0.3, max_retries=1)
        assert fake.requests == 2  # the first try and one retry


def test_a_model_name_is_required():
    with pytest.raises(EmbedderError, match="SAFERAG_EMBED_MODEL"):
        load_embedder(Settings(embed_backend="openai"))
