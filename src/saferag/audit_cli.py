"""``saferag audit``: what the guard blocked, from the audit log, by category, tenant and day, and the latest
entries. Reads the log and its rotated files (``audit.jsonl.1`` … oldest last), so a summary spans rotations."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from saferag.errors import SafeRagError

_AGO = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """``--since``: an ISO date or time (UTC unless it says otherwise), or an age such as 30m, 24h, 7d, 2w."""
    text = text.strip()
    ago = _AGO.match(text.lower())
    if ago:
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SafeRagError(f"--since {text!r}: give a date or time (2026-01-31, 2026-01-31T09:00) or an age "
                           "(30m, 24h, 7d, 2w)") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def log_files(path: Path) -> list[Path]:
    """The log and its rotated files, oldest first (``.N`` … ``.1``, then the log itself)."""
    rotated = [p for p in path.parent.glob(path.name + ".*") if p.suffix[1:].isdigit()]
    return [*sorted(rotated, key=lambda p: -int(p.suffix[1:])), *([path] if path.exists() else [])]


def read_entries(files: list[Path]) -> tuple[list[dict[str, Any]], int]:
    """Every entry of ``files`` in order, and how many lines were not JSON objects (skipped)."""
    entries, bad = [], 0
    for f in files:
        with f.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    bad += 1
                    continue
                if isinstance(entry, dict) and "time" in entry:
                    entries.append(entry)
                else:
                    bad += 1
    return entries, bad


def categories_of(entry: dict[str, Any]) -> list[str]:
    """What an entry counts under: its hazard codes, ``injection``, ``error`` (the guard failed) or ``none``."""
    return list(entry.get("categories") or []) or (["error"] if entry.get("error") else ["none"])


def _time(entry: dict[str, Any]) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def select(entries: list[dict[str, Any]], *, since: datetime | None = None, category: str | None = None,
           tenant: str | None = None) -> Iterator[dict[str, Any]]:
    """The entries at or after ``since``, counted under ``category`` and of ``tenant`` (each when given)."""
    want = category.strip().lower() if category else None
    for e in entries:
        when = _time(e)
        if since is not None and (when is None or when < since):
            continue
        if want is not None and want not in (c.lower() for c in categories_of(e)):
            continue
        if tenant is not None and e.get("tenant") != tenant:
            continue
        yield e


def summarize(entries: list[dict[str, Any]], *, latest: int = 10) -> dict[str, Any]:
    """Counts by event, category, tenant and day (UTC), and the ``latest`` entries, newest first."""
    by_category: Counter[str] = Counter()
    for e in entries:
        by_category.update(categories_of(e))
    return {"entries": len(entries),
            "by_event": dict(Counter(str(e.get("event")) for e in entries).most_common()),
            "by_category": dict(by_category.most_common()),
            "by_tenant": dict(Counter(str(e.get("tenant")) for e in entries).most_common()),
            "by_day": dict(sorted(Counter(str(e.get("time", ""))[:10] for e in entries).items())),
            "latest": list(reversed(entries[-latest:])) if latest > 0 else []}


def run(file: str | None, *, since: str | None, category: str | None, tenant: str | None, latest: int,
        as_json: bool, out: Console) -> dict[str, Any]:
    """The ``saferag audit`` command: read, filter, summarize, print (a table, or JSON)."""
    if not file:
        from saferag.config import load_settings

        file = load_settings().audit_log
        if not file:
            raise SafeRagError("no audit log: give its FILE, or set audit_log (SAFERAG_AUDIT_LOG or saferag.toml)")
    path = Path(file).expanduser()
    files = log_files(path)
    if not files:
        raise SafeRagError(f"no audit log at {path}: nothing has been logged there yet, or audit_log names "
                           "another file")
    entries, bad = read_entries(files)
    chosen = list(select(entries, since=parse_since(since) if since else None, category=category, tenant=tenant))
    report = {"file": str(path), "files": [str(f) for f in files], "skipped": bad, **summarize(chosen, latest=latest)}
    if as_json:
        out.print(json.dumps(report, ensure_ascii=False), markup=False)
    else:
        _print(report, out)
    return report


def _print(report: dict[str, Any], out: Console) -> None:
    n_files = len(report["files"])
    out.print(f"{report['entries']} entries in {report['file']}"
              + (f" and {n_files - 1} rotated file(s)" if n_files > 1 else "")
              + (f" ({report['skipped']} unreadable lines skipped)" if report["skipped"] else ""), markup=False)
    if not report["entries"]:
        return
    for title in ("by_event", "by_category", "by_tenant", "by_day"):
        counts = "  ".join(f"{k} {v}" for k, v in report[title].items())
        out.print(f"{title.replace('_', ' '):<12} {counts}", markup=False)
    out.print("latest", markup=False)
    for e in report["latest"]:  # one line each, plain: logged words are printed as they are, never as markup
        text = " ".join(str(e.get("question") or e.get("answer") or "").split())
        out.print(f"  {e.get('time', '')}  {e.get('event', '')}  {e.get('tenant', '')}  {e.get('key_id') or '-'}  "
                  f"{e.get('role', '')}  {','.join(categories_of(e))}  {text[:100]}", markup=False)


def command(
    file: Annotated[str | None, typer.Argument(help="the audit log (default: the configured audit_log)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="from a date or time (2026-01-31) or an age "
                                                               "(24h, 7d)")] = None,
    category: Annotated[str | None, typer.Option("--category", help="only S1…S14, injection or error")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="only this tenant")] = None,
    latest: Annotated[int, typer.Option("--latest", min=0, help="how many of the latest entries to list")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="print machine-readable JSON")] = False,
) -> None:
    """Summarize the audit log (refusals, guard failures, held-back passages) by category, tenant and day."""
    from saferag.cli.common import out
    from saferag.cli.common import run as run_command

    run_command(lambda: run(file, since=since, category=category, tenant=tenant, latest=latest, as_json=as_json,
                            out=out))
