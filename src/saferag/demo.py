"""Where saferag's own documentation lives, for ``saferag demo`` (no network, no extra files)."""

from __future__ import annotations

from pathlib import Path

from saferag.errors import SafeRagError


def demo_docs() -> Path:
    """The docs folder: packaged in the wheel as ``saferag/_docs``, or the checkout's ``docs/``."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_docs", here.parents[1] / "docs"):
        if candidate.is_dir() and any(candidate.glob("*.md")):
            return candidate
    raise SafeRagError("saferag's documentation is not installed with this package; "
                       "reinstall saferag, or ingest a folder of your own")
