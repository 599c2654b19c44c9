"""Stage 1 of the ingest on a Ray cluster (``saferag ingest --ray``), built on Ray Data: reading, extracting and
splitting run in Ray tasks, embedding in a pool of actors that each hold the model (or reach the embedding
server), and the prepared documents stream back, in order, to the one process that plans and writes.

Planning and writing stay on the driver with the single-process code (``pipeline.ingest``), so unchanged
documents are skipped, a changed one is replaced only once its new version is whole, ``--prune`` and a killed
run behave as always, and the chunks stored are exactly those of a single-process ingest. One writer inserting
whole batches keeps up with many embedders (see docs/deployment.md for where that ends).
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from saferag.config import EmbedSettings
from saferag.errors import ConfigError
from saferag.ingest.prepare import PreparedDocument, PrepareOptions, Preparer, chunk_metadata
from saferag.ingest.sources import DocumentRef
from saferag.ingest.write import embedding_text

log = logging.getLogger(__name__)

#: CPUs a reading task holds (half: so Ray does not fuse reading into the embedding actors; see ``_stream``)
_READ_CPUS = 0.5


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("--ray needs Ray Data: pip install 'saferag[ray]'") from None
    return ray


class RayStage:
    """``pipeline.PrepareStage`` on Ray at ``address``: ``local`` starts a runtime in this process (ended after),
    ``auto`` joins the one running on this machine, anything else is a cluster address (``ray://head:10001``).

    ``embed_actors`` actors embed, each with ``embed_cpus`` CPUs and as many threads (0: as many actors as fit
    beside a reading task); ``refs_per_task`` documents are read per task, and each actor call embeds the chunks of
    ``refs_per_embed`` documents (few, so that every actor gets work and results stream back early).
    """

    def __init__(self, address: str, embed: EmbedSettings, *, embed_actors: int = 0, embed_cpus: float = 1.0,
                 refs_per_task: int = 2, refs_per_embed: int = 2) -> None:
        self.address, self.embed = address or "local", embed
        self.embed_actors, self.embed_cpus = embed_actors, embed_cpus
        self.refs_per_task, self.refs_per_embed = refs_per_task, refs_per_embed

    def actor_settings(self) -> EmbedSettings:
        """The embedder an actor loads: on as many threads as it holds CPUs (at least one), unless ``embed_threads``
        says otherwise. Ray caps OpenMP (torch) at the actor's CPUs, but OpenVINO would start a thread on every
        core of the node in each actor: many actors to a node would then run cores x actors threads."""
        if self.embed.threads:
            return self.embed
        return self.embed.model_copy(update={"threads": max(1, int(self.embed_cpus))})

    def _actors(self, cpus: float, largest: float = 0.0) -> int:
        """How many embedding actors run on a cluster of ``cpus`` CPUs whose largest node has ``largest`` (0: not
        known): as many as fit beside one reading task. Actors holding every CPU would leave the reading tasks none,
        and an actor larger than every node could never start: either way the ingest would wait forever."""
        if largest and self.embed_cpus > largest:
            raise ConfigError(f"ray_embed_cpus = {self.embed_cpus:g}, but the largest node of the Ray cluster has "
                              f"{largest:g} CPUs: an embedding actor could never start; lower ray_embed_cpus")
        fit = int((cpus - _READ_CPUS) // self.embed_cpus)
        actors = self.embed_actors or fit
        if actors < 1 or actors > fit:
            want = f"{self.embed_actors} embedding actors" if self.embed_actors else "an embedding actor"
            raise ConfigError(f"the Ray cluster has {cpus:g} CPUs, too few for {want} of {self.embed_cpus:g} "
                              f"(ray_embed_cpus) beside a reading task of {_READ_CPUS:g}: lower ray_embed_cpus "
                              f"or ray_embed_actors")
        return actors

    @contextmanager
    def __call__(self, refs: Sequence[DocumentRef], options: PrepareOptions,
                 whole: frozenset[tuple[str, str]]) -> Iterator[Iterator[list[PreparedDocument]]]:
        ray = _ray()
        started = False
        if not ray.is_initialized():
            self._start(ray)
            started = True
        try:
            yield self._stream(ray, refs, options, whole)
        finally:
            if started:
                ray.shutdown()

    def _start(self, ray: Any, attempts: int = 3) -> None:
        """Join the cluster, or start a local node. Ray gives a local node's raylet a fixed 30 s to register; on a
        loaded 2-core machine it sometimes needs longer (seen in CI), so a local start that timed out is retried."""
        for attempt in range(1, attempts + 1):
            try:
                ray.init(address=None if self.address == "local" else self.address, include_dashboard=False,
                         log_to_driver=False, configure_logging=False)
                return
            except Exception as exc:  # a bad address, or a local node that did not start (a bare Exception)
                ray.shutdown()
                if self.address == "local" and "timed out during startup" in str(exc) and attempt < attempts:
                    log.warning("the local Ray node did not start in time (attempt %d of %d); starting it again",
                                attempt, attempts)
                    continue
                raise ConfigError(f"cannot join the Ray cluster at {self.address!r}: {exc}") from None

    def _stream(self, ray: Any, refs: Sequence[DocumentRef], options: PrepareOptions,
                whole: frozenset[tuple[str, str]]) -> Iterator[list[PreparedDocument]]:
        if not refs:
            return
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True  # the planner sees refs in discovery order, as in one process
        ctx.enable_progress_bars = False
        nodes = [float(n.get("Resources", {}).get("CPU", 0)) for n in ray.nodes() if n.get("Alive")]
        actors = self._actors(float(ray.cluster_resources().get("CPU", 2)), max(nodes, default=0.0))
        embed = self.actor_settings()
        log.info("Ray: %d embedding actor(s), each of %g CPUs and %d thread(s)", actors, self.embed_cpus, embed.threads)
        rows = [{"ref": pickle.dumps(r)} for r in refs]
        # Small blocks: an actor takes a block at a time, so a few big ones would leave actors idle and make the
        # embedding wait for a whole block to be read.
        ds = ray.data.from_items(rows, override_num_blocks=max(1, -(-len(rows) // self.refs_per_task)))
        # Reading tasks take half a CPU, so Ray does not fuse them into the embedding actors: they read ahead on
        # the CPUs the actors leave free instead of taking turns with the model.
        ds = ds.map_batches(_prepare_batch, fn_kwargs={"options": options}, batch_size=self.refs_per_task,
                            batch_format="numpy", num_cpus=_READ_CPUS)
        ds = ds.map_batches(_Embed, fn_constructor_kwargs={"embed": embed, "whole": whole,
                                                           "embed_titles": options.embed_titles},
                            batch_size=self.refs_per_embed, batch_format="numpy",
                            compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=self.embed_cpus)
        for row in ds.iter_rows():
            yield pickle.loads(row["group"])


def _prepare_batch(batch: dict[str, np.ndarray], options: PrepareOptions) -> dict[str, list[bytes]]:
    """A Ray task: each ref's documents read, split and hashed (errors are data: ``PreparedDocument.error``)."""
    with Preparer(options) as prepare:
        return {"group": [pickle.dumps(prepare(pickle.loads(r))) for r in batch["ref"]]}


class _Embed:
    """A Ray actor: the embedder loaded once; fills ``vectors`` of every document not already stored whole."""

    def __init__(self, embed: EmbedSettings, whole: frozenset[tuple[str, str]], embed_titles: bool) -> None:
        from saferag.embed import load_embedder

        if embed.threads:  # the tokenizer's (Rust, rayon) pool starts on first use with a thread per core of the node
            os.environ.setdefault("RAYON_NUM_THREADS", str(embed.threads))
        self.embedder, self.whole, self.embed_titles = load_embedder(embed), whole, embed_titles

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[bytes]]:
        groups: list[list[PreparedDocument]] = [pickle.loads(g) for g in batch["group"]]
        todo = [(d, d.doc) for g in groups for d in g
                if d.doc is not None and d.chunks and (d.source, d.doc_hash) not in self.whole]
        texts = [embedding_text(c.text, chunk_metadata(doc, c), self.embed_titles) for d, doc in todo
                 for c in d.chunks]
        t = time.perf_counter()
        vectors = self.embedder.embed_documents(texts) if texts else np.empty((0, 0), dtype=np.float32)
        if todo:
            todo[0][0].embed_seconds = time.perf_counter() - t  # the writer adds it up into the report
        at = 0
        for d, _ in todo:
            d.vectors, at = vectors[at:at + len(d.chunks)], at + len(d.chunks)
        return {"group": [pickle.dumps(g) for g in groups]}
