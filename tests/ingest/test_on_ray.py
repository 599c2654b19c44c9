"""``ingest --ray``: reading, splitting and embedding on a real local Ray runtime (Ray Data tasks and actors),
writing to a real ``milvus-lite server``; the same chunks as one process, and every guarantee of the ingest."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from corpus import TOPICS, write_corpus
from test_cli import run
from test_pipeline import all_chunks, crash_ingest

from saferag.embed import PACKAGED_MODEL_NAME

ray = pytest.importorskip("ray", reason="the Ray path needs the ray extra: pip install 'saferag[ray]'")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_runtime():
    """A local Ray runtime on two CPUs, which the ingest joins; ended after the module. Started a second time if
    its node does not come up within Ray's 30 s (seen once here on a loaded 2-core machine, raylet silent)."""
    for attempt in (1, 2):
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
            break
        except Exception:
            ray.shutdown()
            if attempt == 2:
                raise
    yield
    ray.shutdown()


def vectors(rag) -> dict[tuple[str, int], np.ndarray]:
    rows = rag.open_existing()._iterate("", ["source", "chunk_index", "dense"])
    return {(r["source"], r["chunk_index"]): np.asarray(r["dense"]) for r in rows}


def test_the_same_chunks_and_vectors_as_one_process_and_the_same_report(ray_runtime, milvus_server, make_rag, corpus,
                                                                        caplog):
    caplog.set_level("INFO", logger="saferag.ingest.on_ray")
    (corpus / "empty.md").write_bytes(b"")  # reported and skipped on Ray as at home
    (corpus / "corrupt.pdf").write_bytes(b"%PDF-1.7\n%garbage\n1 0 obj << /Type /Catalog")
    on_ray = make_rag(milvus_server, collection="on_ray", ingest_batch_size=4)
    here = make_rag(milvus_server, collection="here", ingest_batch_size=4)
    done: list[str] = []
    report = on_ray.ingest([corpus], ray="auto", on_document=done.append)
    expected = here.ingest([corpus])
    assert all_chunks(on_ray) == all_chunks(here) and len(all_chunks(here)) == expected.chunks_written
    got, want = vectors(on_ray), vectors(here)
    assert got.keys() == want.keys() and min(float(got[k] @ want[k]) for k in want) >= 0.999
    keys = ("documents", "chunks_written", "unchanged", "replaced", "skipped", "failed")
    assert {k: report.to_dict()[k] for k in keys} == {k: expected.to_dict()[k] for k in keys}
    assert {f["source"] for f in report.failed} == {"empty.md", "corrupt.pdf"}
    assert sorted(done) == sorted([*TOPICS, "empty.md", "corrupt.pdf"]) and report.embed_seconds > 0
    assert "Ray: 1 embedding actor(s), each of 1 CPUs and 1 thread(s)" in caplog.text  # the pool, as planned


def test_unchanged_skipped_changed_replaced_and_pruned(ray_runtime, milvus_server, make_rag, corpus, tmp_path):
    rag = make_rag(milvus_server, collection="again", ingest_batch_size=4)
    rag.ingest([corpus], ray="auto")
    again = rag.ingest([corpus], ray="auto")
    assert (again.chunks_written, again.unchanged) == (0, len(TOPICS))
    changed = dict(TOPICS)
    first = sorted(changed)[0]
    title, paras = changed.pop(first)
    changed[first] = (title, [p.replace(".", ", as the manual says.") for p in paras])
    write_corpus(corpus, changed)
    gone = sorted(TOPICS)[-1]
    (corpus / gone).unlink()
    report = rag.ingest([corpus], ray="auto", prune=True)
    assert report.replaced == 1 and report.pruned == [gone] and report.unchanged == len(TOPICS) - 2
    clean = make_rag(milvus_server, collection="clean", ingest_batch_size=4)
    clean.ingest([corpus])
    assert all_chunks(rag) == all_chunks(clean)


def test_a_killed_ray_ingest_is_finished_by_running_it_again(make_rag, corpus, tmp_path):
    """The child starts its own Ray runtime and is killed at its second insert; the rerun (in process) ends with
    exactly the chunks of a clean run."""
    db = tmp_path / "crashed.db"
    crash_ingest(db, corpus, 2, "kill", "local")
    rag = make_rag(str(db), ingest_batch_size=4)
    rag.ingest([str(corpus)])
    clean = make_rag(str(tmp_path / "clean.db"), ingest_batch_size=4)
    clean.ingest([str(corpus)])
    assert all_chunks(rag) == all_chunks(clean)


def test_actors_can_embed_through_a_served_model(ray_runtime, milvus_server, make_rag, corpus, embedding_server):
    served = dict(embed_backend="openai", embed_base_url=embedding_server, embed_model=PACKAGED_MODEL_NAME)
    rag = make_rag(milvus_server, collection="served", embedder=None, **served)
    here = make_rag(milvus_server, collection="served_here")
    rag.ingest([corpus], ray="auto")
    here.ingest([corpus])
    assert all_chunks(rag) == all_chunks(here)
    got, want = vectors(rag), vectors(here)
    assert min(float(got[k] @ want[k]) for k in want) >= 0.999


def test_an_actor_embeds_on_as_many_threads_as_it_holds_cpus(ray_runtime):
    """In a Ray worker OpenVINO still sees every core of the node; each actor's embedder is capped at its CPUs
    (one here, of two), unless ``embed_threads`` is set."""
    pytest.importorskip("openvino")
    from saferag.config import Settings
    from saferag.ingest.on_ray import RayStage, _Embed

    @ray.remote(num_cpus=1)
    def threads(embed) -> int:
        model = _Embed(embed, frozenset(), True).embedder._openvino._model
        return int(model._compiled.get_property("INFERENCE_NUM_THREADS"))

    @ray.remote(num_cpus=1)
    def tokenizer_threads(embed) -> str:
        _Embed(embed, frozenset(), True)
        return os.environ.get("RAYON_NUM_THREADS", "")

    settings = Settings().embedder_settings
    assert ray.get(threads.remote(settings)) == 2  # what an actor would run on without the cap
    assert ray.get(threads.remote(RayStage("auto", settings, embed_cpus=1.0).actor_settings())) == 1
    assert ray.get(tokenizer_threads.remote(RayStage("auto", settings, embed_cpus=1.0).actor_settings())) == "1"
    assert RayStage("auto", settings, embed_cpus=0.5).actor_settings().threads == 1
    assert RayStage("auto", settings, embed_cpus=4.0).actor_settings().threads == 4
    chosen = Settings(embed_threads=2).embedder_settings
    assert RayStage("auto", chosen, embed_cpus=1.0).actor_settings().threads == 2


def test_actors_that_would_leave_no_cpu_for_reading_are_a_clear_error_not_a_hang(ray_runtime, milvus_server,
                                                                                   make_rag, corpus):
    """Two CPUs: an actor of two, or two actors of one, would leave the reading tasks none, and Ray would wait for
    them forever (an actor of two did, before); nothing is written. Fractions that fit are planned as before."""
    from saferag.config import Settings
    from saferag.errors import ConfigError
    from saferag.ingest.on_ray import RayStage

    for i, options in enumerate(({"ray_embed_cpus": 2.0}, {"ray_embed_actors": 2})):
        rag = make_rag(milvus_server, collection=f"too_big_{i}", **options)
        with pytest.raises(ConfigError, match="the Ray cluster has 2 CPUs, too few for"):
            rag.ingest([corpus], ray="auto")
        after = rag.ingest([corpus])  # in process: every document is new, so none was written on Ray
        assert after.unchanged == 0 and after.documents == len(TOPICS) and after.chunks_written > 0
    embed = Settings().embedder_settings
    assert RayStage("auto", embed)._actors(2) == 1 and RayStage("auto", embed)._actors(16) == 15
    assert RayStage("auto", embed, embed_cpus=0.5)._actors(2) == 3
    assert RayStage("auto", embed, embed_cpus=4)._actors(16) == 3
    # four nodes of 4 CPUs: an actor of 4 fits on one, an actor of 6 on none, although 16 CPUs would hold two
    assert RayStage("auto", embed, embed_cpus=4)._actors(16, largest=4) == 3
    with pytest.raises(ConfigError, match="largest node of the Ray cluster has 4 CPUs"):
        RayStage("auto", embed, embed_cpus=6)._actors(16, largest=4)


def test_the_cli_ingests_on_ray_and_says_so_in_its_json_report(corpus, tmp_path):
    out = run("ingest", str(corpus), "--uri", str(tmp_path / "cli.db"), "--ray", "local", "--json", cwd=tmp_path)
    report = json.loads(out.stdout)
    assert report["documents"] == len(TOPICS) and report["chunks_written"] > 0 and not report["failed"]
    bad = run("ingest", str(corpus), "--uri", str(tmp_path / "cli.db"), "--ray", "ray://127.0.0.1:1",
              cwd=tmp_path, check=False)
    assert bad.returncode != 0 and "cannot join the Ray cluster at 'ray://127.0.0.1:1'" in bad.stderr


class FakeRay:
    """A FAKE stand-in for the ``ray`` module's init/shutdown: a real raylet cannot be made to miss Ray's fixed 30 s
    start-up window on demand. ``failures`` inits raise the error Ray raises then (a bare Exception)."""

    def __init__(self, failures: int, message: str = "The current node timed out during startup. This could happen"):
        self.failures, self.message, self.inits, self.shutdowns = failures, message, 0, 0

    def init(self, **_):
        self.inits += 1
        if self.inits <= self.failures:
            raise Exception(self.message)  # noqa: TRY002 - what Ray raises

    def shutdown(self):
        self.shutdowns += 1


def test_a_local_ray_node_that_starts_too_slowly_is_started_again():
    from saferag.config import Settings
    from saferag.errors import ConfigError
    from saferag.ingest.on_ray import RayStage

    embed = Settings().embedder_settings
    preparer = RayStage("local", embed)
    ray = FakeRay(failures=2)
    preparer._start(ray)
    assert (ray.inits, ray.shutdowns) == (3, 2)
    with pytest.raises(ConfigError, match="timed out during startup"):
        preparer._start(FakeRay(failures=3))
    # a cluster address that fails, or another error, is not retried
    for preparer, ray in ((RayStage("10.0.0.1:6379", embed), FakeRay(failures=1)),
                          (RayStage("local", embed), FakeRay(failures=1, message="no space left"))):
        with pytest.raises(ConfigError):
            preparer._start(ray)
        assert ray.inits == 1
