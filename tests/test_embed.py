import numpy as np
import pytest

from saferag.embed import PACKAGED_MODEL_NAME, SentenceTransformerEmbedder, prefixes_for
from saferag.errors import EmbedderError


def test_packaged_model_gives_normalized_vectors(embedder):
    assert (embedder.name, embedder.dim) == (PACKAGED_MODEL_NAME, 384)
    assert embedder.embed_documents([]).shape == (0, 384)
    docs = embedder.embed_documents(["The cat sat on the mat.", "SQLite is a database engine."] * 5)
    assert docs.shape == (10, 384) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    q = embedder.embed_query("Which program stores tables in a file?")
    assert float(docs[1] @ q) > float(docs[0] @ q)


def test_batch_order_is_kept_whatever_the_lengths(embedder):
    texts = ["short", "a much longer sentence " * 20, "mid length text here"]
    together = embedder.embed_documents(texts)
    alone = np.stack([embedder.embed_documents([t])[0] for t in texts])
    sims = together @ alone.T
    assert list(sims.argmax(axis=1)) == [0, 1, 2]
    assert np.diag(sims).min() > 0.999


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


def test_bfloat16_vectors_match_float32(embedder):
    """The fidelity check behind `embed_precision=auto`: bfloat16 must not move vectors."""
    texts = [f"Paragraph {i}: the library reference explains function {i} and its arguments." for i in range(24)]
    fp32 = SentenceTransformerEmbedder(precision="float32").embed_documents(texts)
    bf16 = SentenceTransformerEmbedder(precision="bfloat16").embed_documents(texts)
    assert np.allclose(np.linalg.norm(bf16, axis=1), 1.0, atol=1e-5)
    cos = np.sum(fp32 * bf16, axis=1)
    assert cos.min() > 0.999, cos.min()


def test_precision_is_resolved_and_validated():
    from pathlib import Path

    from saferag.embed import resolve_precision

    # what the kernel reports, independently of torch's probes: AMX or AVX512-BF16 run bfloat16 natively
    flags = set(Path("/proc/cpuinfo").read_text().split()) if Path("/proc/cpuinfo").exists() else set()
    if flags:
        native = bool(flags & {"amx_bf16", "avx512_bf16"})
        assert resolve_precision("auto", "cpu") == ("bfloat16" if native else "float32")
    assert resolve_precision("auto", "cuda") == "float32"
    assert resolve_precision("float32", "cpu") == "float32"
    with pytest.raises(EmbedderError, match="unknown embed precision"):
        resolve_precision("int4", "cpu")


def test_openvino_runtime_matches_torch_float32_and_keeps_its_conversion(tmp_path):
    """The speed path must not move vectors: OpenVINO's (in either precision) against torch float32's."""
    pytest.importorskip("openvino")
    texts = ["A volcano is an opening in the crust.", "SELECT * FROM t WHERE x > 3;", "short", "long text " * 60]
    torch32 = SentenceTransformerEmbedder(runtime="torch", precision="float32")
    for precision in ("float32", "bfloat16"):
        ov = SentenceTransformerEmbedder(runtime="openvino", precision=precision, cache=str(tmp_path))
        assert ov.runtime == "openvino"
        cos = np.sum(ov.embed_documents(texts) * torch32.embed_documents(texts), axis=1)
        assert cos.min() > (0.9999 if precision == "float32" else 0.999), (precision, cos)
        assert float(ov.embed_query("magma") @ torch32.embed_query("magma")) > 0.999
    (converted,) = tmp_path.glob("openvino/*/model.xml")  # one conversion, reused by the second embedder
    stamp = converted.stat().st_mtime_ns
    SentenceTransformerEmbedder(runtime="openvino", cache=str(tmp_path))
    assert converted.stat().st_mtime_ns == stamp


def test_runtime_is_validated_and_torch_can_be_forced():
    assert SentenceTransformerEmbedder(runtime="torch").runtime == "torch"
    with pytest.raises(EmbedderError, match="unknown embed runtime"):
        SentenceTransformerEmbedder(runtime="tensorrt")
