import numpy as np
import pytest

from saferag.embed import PACKAGED_MODEL_NAME, SentenceTransformerEmbedder, prefixes_for
from saferag.errors import EmbedderError


def test_packaged_model_gives_normalized_vectors(embedder):
    assert (embedder.name, embedder.dim) == (PACKAGED_MODEL_NAME, 384)
    docs = embedder.embed_documents(["The cat sat on the mat.", "SQLite is a database engine."] * 5)
    assert docs.shape == (10, 384) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    q = embedder.embed_query("Which program stores tables in a file?")
    assert float(docs[1] @ q) > float(docs[0] @ q)


def test_batch_order_is_kept_whatever_the_lengths(embedder):
    texts = ["short", "a much longer sentence " * 20, "mid length text here"]
    together = embedder.embed_documents(texts)
    alone = np.stack([embedder.embed_documents([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_prefixes_for_known_families():
    assert prefixes_for("BAAI/bge-large-en-v1.5")[0].startswith("Represent this sentence")
    assert prefixes_for("intfloat/e5-base-v2") == ("query: ", "passage: ")
    assert prefixes_for(PACKAGED_MODEL_NAME) == ("", "")


def test_configured_prefix_is_applied(embedder):
    prefixed = SentenceTransformerEmbedder(query_prefix="query: ")
    assert not np.allclose(prefixed.embed_query("hello"), embedder.embed_query("hello"))


def test_unloadable_model_is_an_embedder_error(tmp_path):
    with pytest.raises(EmbedderError, match="cannot load embedding model .*local path"):
        SentenceTransformerEmbedder(str(tmp_path / "no-model-here"))
