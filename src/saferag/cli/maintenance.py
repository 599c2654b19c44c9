"""``saferag cache``: what saferag has derived from its models on this machine, and removing what went unused."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from saferag.cli.common import Json, out, run


def cache(
    prune: Annotated[bool, typer.Option("--prune", help="remove the entries unused for --unused-days")] = False,
    unused_days: Annotated[float, typer.Option("--unused-days", min=0,
                                               help="with --prune: how long unused (0: every entry)")] = 30.0,
    as_json: Json = False,
) -> None:
    """List the cache (joined GGUF files, converted models; SAFERAG_CACHE_DIR) or prune it. Starts rebuild a
    removed entry when they need it."""

    def body() -> None:
        from saferag.cache import cache_dir, entries
        from saferag.cache import prune as remove_unused
        from saferag.config import load_settings

        folder = cache_dir(load_settings().cache_dir)
        removed = remove_unused(folder, unused_days=unused_days) if prune else []
        left = entries(folder)
        if as_json:
            out.print(json.dumps({"cache_dir": str(folder), "removed": [e.to_dict() for e in removed],
                                  "entries": [e.to_dict() for e in left]}), markup=False)
            return
        for entry in removed:
            out.print(f"removed  {entry.path}  {entry.size / 1e6:.0f} MB", markup=False)
        now = time.time()
        for entry in left:
            out.print(f"{entry.size / 1e6:8.0f} MB  used {(now - entry.last_used) / 86400:5.1f} days ago  "
                      f"{entry.path}", markup=False)
        total = sum(e.size for e in left)
        out.print(f"{len(left)} entries, {total / 1e6:.0f} MB in {folder}", markup=False)

    run(body)
