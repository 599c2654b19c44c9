"""The audit trail: one JSON line per refusal, guard failure and retrieved passage held back (and, with
``audit_all``, per answered ask), for a safety team to review what the guard blocks.

``SafeRag`` subscribes an ``AuditObserver`` to its answer events when ``audit_log`` is set, so the Python API,
the CLI and the server all write the same lines. The server tags each ask with its request id and API-key id
(``bound``); elsewhere a line gets a fresh id and no key. The key itself is never written: its id is a stable
hash (``key_id``).

Many processes may append to one file (``saferag serve --workers N``): each line is one ``os.write`` to a file
opened with ``O_APPEND`` (whole lines, never interleaved, on a local file system), under a shared ``flock`` on
``<file>.lock``; rotation takes that lock exclusively, so no line is written into a file being rotated.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import hashlib
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from saferag.errors import ConfigError

if TYPE_CHECKING:
    from saferag.answering import Event
    from saferag.config import Settings
    from saferag.rag import SafeRag

log = logging.getLogger("saferag.audit")
T = TypeVar("T")

#: Who asked: set around an ask by the server (``bound``) and read by the observer in the ask's thread.
_caller: contextvars.ContextVar[dict[str, str | None] | None] = contextvars.ContextVar("saferag_audit_caller",
                                                                                     default=None)


def key_id(key: str) -> str:
    """A stable, non-reversible id for an API key (its SHA-256, shortened), so logs can name a key safely."""
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:16]


@contextlib.contextmanager
def caller(*, request_id: str | None = None, key_id: str | None = None) -> Iterator[None]:
    """Tag the asks made inside this block (in this thread or task) with a request id and an API-key id."""
    token = _caller.set({"request_id": request_id, "key_id": key_id})
    try:
        yield
    finally:
        _caller.reset(token)


def bound(fn: Callable[..., T], *, request_id: str | None = None, key_id: str | None = None) -> Callable[..., T]:
    """``fn`` run inside ``caller(...)`` wherever it is called: the server's asks run in worker threads."""

    def run(*args: Any, **kwargs: Any) -> T:
        with caller(request_id=request_id, key_id=key_id):
            return fn(*args, **kwargs)

    return run


def digest(text: str) -> str:
    """A text's SHA-256, as the log keeps it with ``audit_text = "hash"`` (same text, same digest)."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


class AuditWriter:
    """Appends JSON lines to ``path``, safely from many processes, rotating it past ``max_bytes``."""

    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int = 0, keep: int = 5) -> None:
        self.path = Path(path).expanduser().absolute()
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.max_bytes, self.keep = max_bytes, keep

    def check(self) -> None:
        """Create the file now, so a wrong path fails when saferag starts rather than at the first refusal."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
        except OSError as exc:
            raise ConfigError(f"cannot write the audit log {self.path}: {exc.strerror}; fix SAFERAG_AUDIT_LOG "
                              "or the folder's permissions") from None

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line: one ``os.write`` on an ``O_APPEND`` descriptor."""
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._locked(fcntl.LOCK_SH) as lock_fd:
            if self.max_bytes and self._size() + len(line) > self.max_bytes:
                fcntl.flock(lock_fd, fcntl.LOCK_EX)  # not an upgrade: others may rotate in between, so re-check
                if self._size() + len(line) > self.max_bytes and self._size() > 0:
                    self._rotate()
                fcntl.flock(lock_fd, fcntl.LOCK_SH)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                written = os.write(fd, line)
            finally:
                os.close(fd)
        if written != len(line):  # a full disk: say so rather than leave half a line unexplained
            raise OSError(f"audit log {self.path}: wrote {written} of {len(line)} bytes")

    def files(self) -> list[Path]:
        """The log and its rotated files that exist, oldest first."""
        rotated = [self.path.with_name(f"{self.path.name}.{i}") for i in range(self.keep, 0, -1)]
        return [p for p in [*rotated, self.path] if p.exists()]

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def _rotate(self) -> None:
        """``log`` → ``log.1`` → ``log.2`` …; the oldest past ``keep`` is dropped. Caller holds the lock."""
        names = [self.path, *(self.path.with_name(f"{self.path.name}.{i}") for i in range(1, self.keep + 1))]
        for older, newer in zip(reversed(names[1:]), reversed(names[:-1]), strict=True):
            if newer.exists():
                os.replace(newer, older)

    @contextlib.contextmanager
    def _locked(self, how: int) -> Iterator[int]:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, how)
            yield fd
        finally:
            os.close(fd)  # closing releases the flock


class AuditObserver:
    """Turns answer events into audit lines for one engine (its collection and tenant).

    ``settings``: the engine's settings, or a function returning them (read at each event, so an engine whose
    settings are reassigned logs what is current).
    """

    def __init__(self, writer: AuditWriter, settings: Settings | Callable[[], Settings], *,
                 auto: bool = False) -> None:
        self.writer = writer
        self._settings = settings if callable(settings) else (lambda: settings)
        self.auto = auto  # attached from settings by SafeRag (replaced in views), not passed in by the caller

    @property
    def settings(self) -> Settings:
        return self._settings()

    def __call__(self, event: Event) -> None:
        """Write the event's line; a failed write is logged, never allowed to break the ask it records."""
        try:
            record = self.record(event)
            if record is not None:
                self.writer.write(record)
        except Exception:
            log.exception("could not write the audit log %s", self.writer.path)

    def record(self, event: Event) -> dict[str, Any] | None:
        """The line for ``event``, or None for events the log does not keep."""
        data, kind = event.data, event.kind
        if kind == "refused":
            v = data["verdict"]
            line = self._base("refused", role=v.role, categories=[c.code for c in v.categories], guard=v.guard,
                              latency=v.latency, error=v.error)
            self._text(line, "question", data.get("question", ""))
            if data.get("condensed_query") and data["condensed_query"] != data.get("question"):
                self._text(line, "query", data["condensed_query"])
            if v.role == "agent" and data.get("answer"):
                self._text(line, "answer", data["answer"])
            return line
        if kind == "guard_failed":
            v = data["verdict"]
            if not v.safe:  # fail closed: the refusal that follows is the line (it carries the error)
                return None
            line = self._base("guard_failed", role=v.role, categories=[], guard=v.guard, latency=v.latency,
                              error=v.error, outcome="answered (guard_fail_open)")
            self._text(line, "question", data.get("question", ""))
            return line
        if kind == "passages_held_back":
            line = self._base("passages_held_back", role="passage", categories=["injection"], guard="injection_screen",
                              latency=None, action=data.get("action"))
            line["passages"] = [self._text({"source": p["source"], "chunk_index": p["chunk_index"],
                                            "score": round(float(p["score"]), 4)}, "text", p.get("text", ""))
                                for p in data.get("passages", [])]
            self._text(line, "question", data.get("question", ""))
            return line
        if kind == "answered" and self.settings.audit_all:
            answer = data["answer"]
            verdict = answer.guard or {}
            line = self._base("answered", role=verdict.get("role", "user"), categories=[],
                              guard=verdict.get("guard", self.settings.guard), latency=verdict.get("latency"),
                              sources=sorted({s["source"] for s in answer.sources}))
            self._text(line, "question", data.get("question", ""))
            self._text(line, "answer", answer.answer)
            return line
        return None

    def _base(self, event: str, *, role: str, categories: list[str], guard: str, latency: float | None,
              error: str = "", **extra: Any) -> dict[str, Any]:
        who = _caller.get() or {}
        line: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "event": event, "request_id": who.get("request_id") or uuid.uuid4().hex,
            "tenant": self.settings.tenant, "key_id": who.get("key_id"), "collection": self.settings.collection,
            "role": role, "categories": categories, "guard": guard,
            "latency_ms": None if latency is None else round(latency * 1000, 1)}
        if error:
            line["error"] = error
        return {**line, **extra}

    def _text(self, line: dict[str, Any], field: str, text: str) -> dict[str, Any]:
        """Put ``text`` under ``field`` as ``audit_text`` says: whole, as a digest, or not at all."""
        mode = self.settings.audit_text
        if mode == "full":
            line[field] = text
        elif mode == "hash":
            line[field] = digest(text)
        return line


def writer_for(settings: Settings) -> AuditWriter:
    """The writer for the configured ``audit_log`` (with its rotation settings)."""
    return AuditWriter(settings.audit_log, max_bytes=int(settings.audit_max_mb * 2**20), keep=settings.audit_keep)


def attach_audit(rag: SafeRag) -> None:
    """Subscribe ``rag``'s configured audit log to its events, bound to its collection and tenant.

    A view (``rag.view()``) inherits its parent's observers: the parent's automatic audit observer is swapped
    for one bound to the view, so each line names the collection and tenant that were actually asked.
    """
    inherited = [o for o in rag.observers if isinstance(o, AuditObserver) and o.auto]
    rag.observers[:] = [o for o in rag.observers if o not in inherited]
    s = rag.settings
    if not s.audit_log:
        return
    writer = writer_for(s)
    if not any(o.writer.path == writer.path for o in inherited):
        writer.check()  # once per engine; views of it skip the extra open
    rag.observers.append(AuditObserver(writer, lambda: rag.settings, auto=True))
