from pathlib import Path

import numpy as np
import pytest

from saferag.embed import PACKAGED_MODEL_NAME, SentenceTransformerEmbedder, packaged_model_path, prefixes_for
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


def test_batches_run_at_once_give_each_text_its_own_vector():
    """Many batches run several at once on the throughput compilation (``CompiledModel.run_many``), in any order
    of completion: each text must still get the vector it gets alone on the latency compilation."""
    one_a_batch = SentenceTransformerEmbedder(precision="float32", runtime="openvino", batch_size=1)
    texts = ["short", "a much longer sentence about copying directory trees " * 12, "mid length text here",
             "SQLite stores a whole database in one file.", "x", "Milvus Lite keeps a collection in a local file " * 5,
             "The guard refuses unsafe questions.", "two words", "ingest is idempotent and crash-safe " * 3]
    together = one_a_batch.embed_documents(texts)
    assert one_a_batch._openvino._model._bulk is not None  # the throughput path ran
    alone = np.stack([one_a_batch.embed_query(t) for t in texts])  # one batch each: the latency path
    assert np.sum(together * alone, axis=1).min() > 0.9999


def test_a_failed_batch_run_raises_and_the_next_run_is_whole():
    """An error while batches are in flight (a bad batch, or the caller's ``finish``) reaches the caller, and what
    was started ends first: the next run gives every batch's own output."""
    encoder = SentenceTransformerEmbedder(precision="float32", runtime="openvino")._openvino
    model, tokenize = encoder._model, encoder._tokenize
    batches = [tokenize([f"text number {i} " * (i + 1)]) for i in range(6)]

    def failing():
        yield from batches[:4]
        raise ValueError("a broken batch")

    with pytest.raises(ValueError, match="a broken batch"):
        model.run_many(failing(), lambda out, features: out)

    def finish(out, features):
        if features is batches[3]:
            raise RuntimeError("finish failed")
        return out

    with pytest.raises(RuntimeError, match="finish failed"):
        model.run_many(batches, finish)
    outs = model.run_many(batches, lambda out, features: out[0, 0])
    assert np.allclose(outs, [model.run(b)[0, 0] for b in batches], atol=1e-5)


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
    from saferag.embed import resolve_precision
    from saferag.quantize import cpu_flags

    # what the kernel reports, independently of torch's probes: AMX or AVX512-BF16 run bfloat16 natively; int8 is
    # never chosen by auto (it moved retrieval scores: docs/benchmarks.md)
    flags = cpu_flags()
    if flags:
        native = bool(flags & {"amx_bf16", "avx512_bf16"})
        assert resolve_precision("auto", "cpu") == ("bfloat16" if native else "float32")
    assert resolve_precision("auto", "cuda") == "float16"  # measured on an H200: docs/benchmarks.md
    assert resolve_precision("auto", "cuda:1") == "float16"
    assert resolve_precision("auto", "mps") == "float32"
    for cpu in ("cpu", "CPU", "cpu:0"):
        with pytest.raises(EmbedderError, match="float16 is for GPUs"):
            resolve_precision("float16", cpu)
    assert resolve_precision("float32", "cpu") == "float32"
    assert resolve_precision("int8", "cpu") == "int8"
    with pytest.raises(EmbedderError, match="unknown embed precision"):
        resolve_precision("int4", "cpu")


def test_batch_sizes_follow_the_device_runtime_and_precision():
    from saferag.embed import GPU_BATCH_SIZE, default_batch_size

    assert default_batch_size("cuda:1", "float16", "torch") == GPU_BATCH_SIZE == 256
    assert default_batch_size("mps", "float32", "torch") == GPU_BATCH_SIZE
    assert default_batch_size("cpu", "float32", "torch") == 8  # the 2-core CPU's best (docs/benchmarks.md)
    assert default_batch_size("cpu:0", "bfloat16", "torch") == 16
    assert default_batch_size("cpu", "float32", "openvino") == 2  # many small batches at once: run_many
    assert default_batch_size("cpu", "bfloat16", "openvino") == 4
    with pytest.raises(EmbedderError, match="float16 runs on torch"):
        SentenceTransformerEmbedder(device="cuda", precision="float16", runtime="openvino")


def test_int8_keeps_vectors_close_and_quantizes_once():
    """int8 (OpenVINO, NNCF): its vectors must stay near float32's; the quantized model is made once and reused.
    Its retrieval scores are measured in docs/benchmarks.md."""
    pytest.importorskip("nncf")
    texts = [f"Paragraph {i}: the library reference explains function {i} and its arguments." for i in range(8)] + \
        ["A volcano is an opening in the crust.", "SELECT * FROM t WHERE x > 3;", "short"]
    int8 = SentenceTransformerEmbedder(precision="int8", runtime="openvino")
    assert (int8.precision, int8.runtime) == ("int8", "openvino")
    fp32 = SentenceTransformerEmbedder(precision="float32", runtime="openvino")
    cos = np.sum(int8.embed_documents(texts) * fp32.embed_documents(texts), axis=1)
    assert cos.min() > 0.98 and cos.mean() > 0.99, cos
    (made,) = _cache_entries("model-int8-*.xml")
    stamp = made.stat().st_mtime_ns
    again = SentenceTransformerEmbedder(precision="int8", runtime="openvino")
    assert np.allclose(again.embed_documents(texts), int8.embed_documents(texts), atol=1e-6)
    assert made.stat().st_mtime_ns == stamp  # read back, not quantized again


def _cache_entries(pattern: str) -> list:
    """Files matching ``pattern`` in the packaged model's converted-model folder of the default cache (the one
    this start reads, not those older library versions left behind)."""
    from saferag.cache import cache_dir
    from saferag.compiled import read_json
    from saferag.embed_openvino import _index

    record = read_json(_index(cache_dir(), PACKAGED_MODEL_NAME, str(packaged_model_path()))) or {}
    return sorted(Path(record["ir"]).glob(pattern)) if record.get("ir") else []


def test_int8_without_nncf_or_openvino_is_a_clear_error_and_writes_nothing(tmp_path, monkeypatch):
    """No NNCF (installed without the int8 extra): int8 says what is missing and leaves no half-made model; the
    float precisions still work from the same cache. int8 on torch is refused too."""
    from saferag.errors import QuantizationError

    monkeypatch.setitem(__import__("sys").modules, "nncf", None)  # `import nncf` raises ImportError
    with pytest.raises(QuantizationError, match=r"needs NNCF \(pip install 'saferag\[int8\]'\)"):
        SentenceTransformerEmbedder(precision="int8", runtime="openvino", cache=str(tmp_path))
    assert not list(tmp_path.glob("openvino/*/model-int8*"))
    assert list(tmp_path.glob("openvino/*/model.xml"))  # the float conversion is kept, not treated as damage
    fp32 = SentenceTransformerEmbedder(precision="float32", runtime="openvino", cache=str(tmp_path))
    assert fp32.runtime == "openvino" and fp32.embed_query("magma").shape == (384,)
    with pytest.raises(QuantizationError, match="OpenVINO runtime only"):
        SentenceTransformerEmbedder(precision="int8", runtime="torch")


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


def compiled_threads(embedder: SentenceTransformerEmbedder) -> tuple[int, int]:
    """The threads OpenVINO gave the embedder's latency and throughput compilations (the latter made by a run of
    several batches)."""
    embedder.embed_documents(["one text to embed"] * 12)
    model = embedder._openvino._model
    assert model._bulk is not None
    return (int(model._compiled.get_property("INFERENCE_NUM_THREADS")),
            int(model._bulk[0].get_property("INFERENCE_NUM_THREADS")))


def test_embed_threads_caps_both_openvino_compilations(tmp_path):
    """Unset, OpenVINO runs on every core; ``embed_threads`` caps both the query and the bulk compilation, from a
    fresh conversion and from the cache."""
    import os

    pytest.importorskip("openvino")
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: a cap of one thread is OpenVINO's default too")
    assert compiled_threads(SentenceTransformerEmbedder(runtime="openvino", cache=str(tmp_path))) == \
        (os.cpu_count(), os.cpu_count())
    from saferag.config import Settings
    from saferag.embed import load_embedder

    capped = load_embedder(Settings(embed_threads=1, cache_dir=str(tmp_path)).embedder_settings)
    assert capped.runtime == "openvino" and compiled_threads(capped) == (1, 1)


def test_runtime_is_validated_and_torch_can_be_forced():
    assert SentenceTransformerEmbedder(runtime="torch").runtime == "torch"
    with pytest.raises(EmbedderError, match="unknown embed runtime"):
        SentenceTransformerEmbedder(runtime="tensorrt")


def _in_fresh_process(code: str, *args: str) -> str:
    """Run ``code`` in a new interpreter (nothing imported yet) and return its last line of output."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


STARTS_WITHOUT_TORCH = """
import json, sys
from saferag.embed import SentenceTransformerEmbedder
e = SentenceTransformerEmbedder(cache=sys.argv[1])
v = e.embed_documents(json.loads(sys.argv[2]))
print(json.dumps({"runtime": e.runtime, "dim": e.dim, "loaded": sorted(m for m in ("torch", "transformers",
      "sentence_transformers") if m in sys.modules), "vectors": v.tolist()}))
"""


def test_a_converted_embedder_starts_again_without_torch_and_gives_the_same_vectors(tmp_path):
    """The cold start: the first start converts (torch); a later one reads the cache and never imports torch."""
    import json

    pytest.importorskip("openvino")
    texts = ["A volcano is an opening in the crust.", "  spaced   out  ", "Ünïcödé naïve café", "long text " * 400]
    first = SentenceTransformerEmbedder(runtime="auto", cache=str(tmp_path))
    assert first.runtime == "openvino"
    expected = first.embed_documents(texts)
    later = json.loads(_in_fresh_process(STARTS_WITHOUT_TORCH, str(tmp_path), json.dumps(texts)))
    assert later["runtime"] == "openvino" and later["dim"] == 384 and later["loaded"] == []
    cos = np.sum(np.asarray(later["vectors"], dtype=np.float32) * expected, axis=1)
    assert cos.min() > 0.99999, cos
    torch32 = SentenceTransformerEmbedder(runtime="torch", precision="float32").embed_documents(texts)
    assert np.sum(expected * torch32, axis=1).min() > 0.999


def test_the_compiled_tokenizer_gives_sentence_transformers_own_inputs(tmp_path):
    from saferag.embed_openvino import cached_encoder

    pytest.importorskip("openvino")
    slow = SentenceTransformerEmbedder(runtime="openvino", cache=str(tmp_path))
    fast = cached_encoder(slow.name, str(packaged_model_path()), tmp_path, precision="float32")
    assert fast is not None
    texts = ["Hello, World!", "", "x", "  leading and trailing  ", "tabs\tand\nnewlines", "Ünïcödé", "word " * 600]
    ours = fast._tokenize(texts)
    theirs = slow._model[0].preprocess(texts)
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        assert np.array_equal(ours[key], theirs[key].numpy()), key
    assert ours["input_ids"].shape[1] == slow._model[0].max_seq_length  # truncated where the model truncates


def test_a_model_replaced_in_place_is_converted_again_and_its_new_weights_are_used(tmp_path):
    import shutil

    import torch
    from sentence_transformers import SentenceTransformer

    from saferag.embed_openvino import cached_encoder

    pytest.importorskip("openvino")
    model, cache = tmp_path / "my-model", str(tmp_path / "cache")
    shutil.copytree(packaged_model_path(), model)
    texts = ["A volcano is an opening in the crust.", "SELECT * FROM t WHERE x > 3;"]
    before = SentenceTransformerEmbedder(str(model), cache=cache).embed_documents(texts)
    assert cached_encoder(str(model), str(model), tmp_path / "cache", precision="float32") is not None
    retrained = SentenceTransformer(str(model))  # the same path, new weights (a retrained model saved over it)
    with torch.no_grad():
        for p in retrained[0].auto_model.encoder.layer[-1].parameters():
            p.add_(0.05 * torch.randn_like(p))
    retrained.save(str(model))
    assert cached_encoder(str(model), str(model), tmp_path / "cache", precision="float32") is None
    after = SentenceTransformerEmbedder(str(model), cache=cache, precision="float32")
    assert after.runtime == "openvino"
    new = after.embed_documents(texts)
    eager = SentenceTransformerEmbedder(str(model), runtime="torch", precision="float32").embed_documents(texts)
    assert np.sum(new * eager, axis=1).min() > 0.9999  # the new weights, compiled
    assert np.sum(new * before, axis=1).min() < 0.999  # not the old compiled model
    again = SentenceTransformerEmbedder(str(model), cache=cache, precision="float32")  # and later starts too
    assert again._model is None and np.sum(again.embed_documents(texts) * eager, axis=1).min() > 0.9999


def test_the_same_model_in_two_places_shares_one_converted_entry(tmp_path):
    """A model is converted once per content, not per place: another virtual environment or clone holds the same
    files under another path with other times (each such copy used to add an entry; docs/benchmarks.md)."""
    import os
    import shutil

    from saferag.embed_openvino import cached_encoder

    pytest.importorskip("openvino")
    cache = tmp_path / "cache"
    first, second = tmp_path / "venv-a" / "model", tmp_path / "venv-b" / "model"
    shutil.copytree(packaged_model_path(), first)
    shutil.copytree(packaged_model_path(), second)
    for root, _, files in os.walk(second):
        for name in files:
            os.utime(os.path.join(root, name), ns=(10**18, 10**18))
    texts = ["A volcano is an opening in the crust."]
    a = SentenceTransformerEmbedder(str(first), cache=str(cache), precision="float32").embed_documents(texts)
    b = SentenceTransformerEmbedder(str(second), cache=str(cache), precision="float32").embed_documents(texts)
    entries = [p for p in (cache / "openvino").iterdir() if p.name != "index"]
    assert len(entries) == 1 and np.sum(a * b, axis=1).min() > 0.99999
    # and each place starts from it later without torch
    assert cached_encoder(str(second), str(second), cache, precision="float32") is not None


def test_a_damaged_cache_entry_is_converted_again(tmp_path):
    pytest.importorskip("openvino")
    cache = str(tmp_path / "cache")
    texts = ["A volcano is an opening in the crust.", "short"]
    expected = SentenceTransformerEmbedder(cache=cache).embed_documents(texts)
    (weights,) = (tmp_path / "cache").glob("openvino/*/model.bin")
    weights.write_bytes(weights.read_bytes()[:1000])  # a truncated file, as a full disk leaves it
    for blob in (tmp_path / "cache").glob("openvino/*/compiled/*"):
        blob.unlink()
    again = SentenceTransformerEmbedder(cache=cache)
    assert again.runtime == "openvino"
    assert np.sum(again.embed_documents(texts) * expected, axis=1).min() > 0.9999


def test_known_prefixes_apply_when_the_model_sets_none():
    """sentence-transformers 6 gives every model empty query and document prompts; they must not hide the
    instruction a known family (here BGE, by its name) was trained with."""
    import shutil
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "bge-mini-en-v1.5"
        shutil.copytree(packaged_model_path(), model)
        e = SentenceTransformerEmbedder(str(model), cache=str(Path(tmp) / "cache"))
        assert e.query_prefix.startswith("Represent this sentence") and e.passage_prefix == ""
        assert SentenceTransformerEmbedder(str(model), cache=str(Path(tmp) / "cache"),
                                           query_prefix="").query_prefix == ""


def test_a_model_with_extra_modules_runs_compiled_with_its_own_pooling_modules(tmp_path):
    """A shape the torch-free encoder does not run (here a Dense layer after pooling) keeps its modules."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Dense

    from saferag.embed_openvino import OpenVINOTransformer

    pytest.importorskip("openvino")
    base = SentenceTransformer(str(packaged_model_path()))
    torch.manual_seed(0)
    modules = [base[0], base[1], Dense(384, 64, activation_function=torch.nn.Tanh()), base[2]]
    SentenceTransformer(modules=modules).save(str(tmp_path / "dense-model"))
    texts = ["A volcano is an opening in the crust.", "short", "long text " * 50]
    ov = SentenceTransformerEmbedder(str(tmp_path / "dense-model"), runtime="openvino", precision="float32",
                                     cache=str(tmp_path / "cache"))
    assert isinstance(ov._openvino, OpenVINOTransformer) and ov.dim == 64
    eager = SentenceTransformerEmbedder(str(tmp_path / "dense-model"), runtime="torch", precision="float32")
    assert np.sum(ov.embed_documents(texts) * eager.embed_documents(texts), axis=1).min() > 0.9999
    assert not list((tmp_path / "cache").glob("openvino/index/*.json"))  # nothing for the torch-free start


def test_a_float16_checkpoint_runs_at_the_chosen_precision(tmp_path):
    """transformers 5 loads weights in the dtype they were saved in: a float16 checkpoint on a CPU must still run
    (and match) in float32 when float32 is what was asked for."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    from saferag.embed import packaged_model_path

    folder = tmp_path / "minilm-fp16"
    shutil.copytree(packaged_model_path(), folder)
    weights = load_file(folder / "model.safetensors")
    save_file({k: v.half() for k, v in weights.items()}, folder / "model.safetensors", metadata={"format": "pt"})
    half = SentenceTransformerEmbedder(str(folder), precision="float32", runtime="torch")
    assert next(half._model.parameters()).dtype == torch.float32
    full = SentenceTransformerEmbedder(precision="float32", runtime="torch")
    texts = ["PRAGMA journal_mode = WAL switches SQLite to write-ahead logging.", "Cats sleep most of the day."]
    cos = np.sum(half.embed_documents(texts) * full.embed_documents(texts), axis=1)
    assert cos.min() > 0.9999, cos
    # OpenVINO converts the model it is given: it must be the float32 one
    converted = SentenceTransformerEmbedder(str(folder), precision="float32", runtime="openvino",
                                            cache=str(tmp_path / "cache"))
    assert converted.runtime == "openvino"
    cos = np.sum(converted.embed_documents(texts) * full.embed_documents(texts), axis=1)
    assert cos.min() > 0.9999, cos


def test_an_ingest_round_holds_a_whole_embedder_batch_unless_set(make_rag, embedder, tmp_path, monkeypatch):
    """On a GPU the embedder's batch (256) is larger than the default round (64): ingest must not hand it less;
    a round the user set stays as set."""
    from saferag.ingest import write

    sizes = []
    real = write.Writer.__init__

    def spy(self, *args, **kwargs):
        sizes.append(kwargs["batch_size"])
        real(self, *args, **kwargs)

    monkeypatch.setattr(write.Writer, "__init__", spy)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\nSome text about compost heaps.\n")
    make_rag(str(tmp_path / "c.db")).ingest([folder])
    monkeypatch.setattr(embedder, "batch_size", 300)
    make_rag(str(tmp_path / "a.db")).ingest([folder])
    make_rag(str(tmp_path / "b.db"), ingest_batch_size=4).ingest([folder])
    assert sizes == [64, 300, 4]
