"""Where saferag keeps what it derives from installed models (a joined GGUF, converted models): one folder, and
what keeps it from growing without end.

Each entry is 100–500 MB, and a new library version or model makes a new one (its key changes) while the old one
stays. So every start records when it used an entry (``record_use``), and writing a new entry removes those no
start has used for ``UNUSED_DAYS`` (``prune``); `saferag cache` lists them and prunes on demand.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("saferag.cache")

#: Entries unused for this long are removed when a new one is written.
UNUSED_DAYS = 30.0


@contextlib.contextmanager
def written_whole(target: Path, *, companions: Iterable[str] = ()) -> Iterator[Path]:
    """A path beside ``target`` to write a file or folder to, renamed onto ``target`` when the block ends cleanly and
    removed when it raises, so no reader ever sees half an entry. ``companions`` are suffixes of files written with
    it (OpenVINO's ``.bin`` beside its ``.xml``), renamed before it: ``target`` appears last and marks the whole.

    Written by hand because the few atomic-write libraries write one file from Python, not a path a C library
    (OpenVINO, NNCF) fills. Its name holds the process and thread, so concurrent writers do not
    meet; ``*.partial*`` is what ``prune`` removes once a day old (a writer that was killed).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    companions = list(companions)
    # a writer that names its companions by suffix (OpenVINO: ``x.xml`` -> ``x.bin``) needs the target's suffix
    ending = target.suffix if companions else ""
    partial = target.with_name(f"{target.name}.{os.getpid()}-{threading.get_ident()}.partial{ending}")
    extra = [(partial.with_suffix(s), target.with_suffix(s)) for s in companions]
    try:
        yield partial
        for written, final in extra:
            written.replace(final)
        partial.replace(target)
    finally:
        for written, _ in extra:
            written.unlink(missing_ok=True)
        shutil.rmtree(partial, ignore_errors=True) if partial.is_dir() else partial.unlink(missing_ok=True)


def cache_dir(configured: str = "") -> Path:
    """``configured`` (the ``cache_dir`` setting), else ``$XDG_CACHE_HOME/saferag``, else ``~/.cache/saferag``."""
    if configured:
        return Path(configured).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "saferag"


@dataclass(frozen=True)
class Entry:
    """One derived model in the cache: a converted model's folder, a joined GGUF file or an extracted encoder."""

    path: Path
    size: int  # bytes
    last_used: float  # seconds since the epoch

    def to_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "bytes": self.size, "last_used": self.last_used}


def mark_used(path: Path) -> None:
    """Record that the entry at ``path`` was used now (its modification time). Never fails a start."""
    try:
        os.utime(path)
    except OSError as exc:  # a read-only cache still serves its entries
        log.debug("cannot mark %s as used: %s", path, exc)


def entries(cache: Path) -> list[Entry]:
    """The entries in ``cache``, least recently used first."""
    converted = cache / "openvino"
    paths = [p for p in converted.iterdir() if p.is_dir() and p.name != "index"] if converted.is_dir() else []
    paths += sorted(cache.glob("*.gguf")) if cache.is_dir() else []
    joined = cache / "models"  # encoders shipped split over wheels, joined and extracted (``saferag.parts``)
    paths += [p for p in joined.iterdir() if p.is_dir() and not p.name.endswith(".partial")] if joined.is_dir() else []
    found = []
    for path in paths:
        try:
            found.append(Entry(path, _size(path), path.stat().st_mtime))
        except OSError:  # removed meanwhile by another process's prune
            continue
    return sorted(found, key=lambda e: e.last_used)


def prune(cache: Path, *, unused_days: float = UNUSED_DAYS, keep: Iterable[Path] = ()) -> list[Entry]:
    """Remove the entries no start has used for ``unused_days`` (never those in ``keep``), and index records that
    point to an entry no longer there; what was removed, for the caller to report."""
    cutoff = time.time() - unused_days * 86400
    kept = {Path(p).resolve() for p in keep}
    removed = []
    for entry in entries(cache):
        if entry.last_used >= cutoff or entry.path.resolve() in kept:
            continue
        try:
            if entry.path.is_dir():
                shutil.rmtree(entry.path)
            else:
                entry.path.unlink()
        except OSError as exc:
            log.warning("could not remove the unused cache entry %s: %s", entry.path, exc)
            continue
        removed.append(entry)
    _drop_dangling_records(cache / "openvino" / "index")
    _drop_stale_partials(cache)
    return removed


def _drop_stale_partials(cache: Path, *, older_than: float = 86400.0) -> None:
    """What a join or extraction killed mid-way left (``*.partial`` files and folders, their ``.zip``): never used,
    and up to a model's size each. Only those a day old, so that a join still running elsewhere keeps its own."""
    cutoff = time.time() - older_than
    for path in [*cache.glob("*.partial*"), *(cache / "models").glob("*.partial*")]:
        try:
            if path.stat().st_mtime >= cutoff:
                continue
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        except OSError as exc:
            log.warning("could not remove the unfinished %s: %s", path, exc)


def record_use(cache: Path, entry: Path, *, new: bool = False) -> None:
    """A start used ``entry``: mark it; when it is ``new`` (the cache grew), prune the others, never failing the
    start (a failure is logged)."""
    mark_used(entry)
    if not new:
        return
    try:
        for gone in prune(cache, keep=[entry]):
            log.info("removed %s from the cache (unused for %d days, %.0f MB)", gone.path, UNUSED_DAYS,
                     gone.size / 1e6)
    except OSError as exc:
        log.warning("could not prune the cache at %s: %s", cache, exc)


def _drop_dangling_records(index: Path) -> None:
    """The embedder's torch-free start reads records here that name their converted model's folder."""
    from saferag.compiled import read_json

    for record in index.glob("*.json") if index.is_dir() else []:
        folder = (read_json(record) or {}).get("ir")
        if not folder or not Path(folder).is_dir():
            record.unlink(missing_ok=True)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
