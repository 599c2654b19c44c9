"""Where saferag keeps what it derives from installed models (a joined GGUF, a converted embedder): one folder."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(configured: str = "") -> Path:
    """``configured`` (the ``cache_dir`` setting), else ``$XDG_CACHE_HOME/saferag``, else ``~/.cache/saferag``."""
    if configured:
        return Path(configured).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "saferag"
