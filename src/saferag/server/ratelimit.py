"""Per-key rate limits that hold across worker processes: a token bucket per API key in a SQLite file.

Written by hand rather than with the ``limits`` library: its storages are process memory, Redis, Memcached
and MongoDB, so ``saferag serve --workers N`` would either multiply the limit by N (memory) or need a server
it does not otherwise have. SQLite (standard library) in WAL mode, with each take in a ``BEGIN IMMEDIATE``
transaction, serializes the read-modify-write of a bucket between every process that opens the file.
"""

from __future__ import annotations

import math
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from saferag.config import parse_rate


@dataclass(frozen=True)
class Rate:
    """``count`` requests per ``seconds``: a bucket of ``count`` tokens refilled at count/seconds a second."""

    count: int
    seconds: float
    spec: str

    @classmethod
    def parse(cls, spec: str) -> Rate:
        """``"60/minute"`` as a Rate; ValueError for anything else."""
        count, seconds = parse_rate(spec)
        return cls(count, seconds, spec.strip())

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


class RateLimiter:
    """Token buckets in the SQLite file ``path``, shared by every process (and thread) that opens it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection per limiter, used under a lock: a take is a few microseconds of SQL.
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._set_up(deadline=time.monotonic() + 30)

    def _set_up(self, deadline: float) -> None:
        """WAL mode and the table. Switching a new file to WAL answers "database is locked" at once, without
        SQLite's busy wait, while another process is switching it too: so that is retried until ``deadline``."""
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")  # a crash may forget the last takes: harmless here
                self._db.execute("CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, tokens REAL NOT NULL, "
                                 "stamp REAL NOT NULL)")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def take(self, key: str, rate: Rate) -> float:
        """Take one token from ``key``'s bucket: 0.0 when allowed, else the seconds until a token is back."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")  # the write lock first: no other process reads the bucket in between
            try:
                row = db.execute("SELECT tokens, stamp FROM buckets WHERE key = ?", (key,)).fetchone()
                now = time.time()
                if row is None:
                    tokens = float(rate.count)
                else:  # refill for the time since the last take (a clock stepped back refills nothing)
                    tokens = min(float(rate.count), row[0] + max(0.0, now - row[1]) * rate.per_second)
                wait = 0.0 if tokens >= 1 else (1 - tokens) / rate.per_second
                if not wait:
                    tokens -= 1
                db.execute("INSERT OR REPLACE INTO buckets (key, tokens, stamp) VALUES (?, ?, ?)",
                           (key, tokens, now))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return wait

    def close(self) -> None:
        with self._lock:
            self._db.close()


def retry_after(wait: float) -> int:
    """Whole seconds for a ``Retry-After`` header: at least 1."""
    return max(1, math.ceil(wait))


def open_limiter(db: str, needed: bool) -> tuple[RateLimiter | None, Callable[[], None]]:
    """The limiter over ``db`` (``rate_limit_db``), or over a temporary file when it is ``''``; None when no
    limit is configured (``needed`` false). Returns it with the function that closes it (and removes a
    temporary file)."""
    if not needed:
        return None, lambda: None
    folder = "" if db else tempfile.mkdtemp(prefix="saferag-ratelimit-")
    limiter = RateLimiter(db or os.path.join(folder, "buckets.sqlite"))

    def close() -> None:
        limiter.close()
        if folder:
            shutil.rmtree(folder, ignore_errors=True)

    return limiter, close
