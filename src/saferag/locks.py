"""Who holds a Milvus Lite file: so "it is in use" can name the process and say what to do.

milvus-lite 3.x keeps a collection store in a folder (the ``.db`` path) and, while a process has it open,
holds an exclusive ``flock`` on ``<folder>/LOCK``; a second process fails to open it. Linux lists every
``flock`` in ``/proc/locks`` with the holder's pid and the file's device and inode, and each holder's
``/proc/<pid>/fdinfo/<fd>`` shows the lock on the descriptor; from the pid, ``/proc/<pid>/cmdline`` says what
it is. Elsewhere (no ``/proc``) nothing is found and the message says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LOCK_FILE = "LOCK"  # milvus_lite.db.LOCK_FILENAME


@dataclass(frozen=True)
class Holder:
    """A process holding a lock: its pid and its command line."""

    pid: int
    command: str

    def __str__(self) -> str:
        return f"pid {self.pid} ({self.command})" if self.command else f"pid {self.pid}"


def lite_lock_holders(uri: str) -> list[Holder]:
    """The processes holding the lock on Milvus Lite file ``uri`` (none found: an empty list)."""
    lock = Path(uri).expanduser().absolute() / LOCK_FILE
    try:
        st = lock.stat()
    except OSError:
        return []
    pids = _pids_in_proc_locks(st) or _pids_by_descriptor(lock)
    return [Holder(pid, _command(pid)) for pid in sorted(pids)]


def _pids_in_proc_locks(st: os.stat_result) -> set[int]:
    """Pids of the ``/proc/locks`` entries on this file (device ``MAJ:MIN`` in hex, and inode)."""
    want = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return set()
    pids = set()
    for line in lines:
        fields = line.split()
        if len(fields) >= 6 and fields[1] != "->" and fields[5] == want and fields[4].isdigit():
            pids.add(int(fields[4]))
    return pids


def _pids_by_descriptor(lock: Path) -> set[int]:
    """Pids with the lock file open and a lock on that descriptor: where ``/proc/locks`` names another device
    than ``stat`` does (overlay file systems)."""
    target, pids = str(lock.resolve()), set()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) == target and "lock:" in (proc / "fdinfo" / fd.name).read_text():
                    pids.add(int(proc.name))
                    break
        except OSError:  # gone, or not ours to look at
            continue
    return pids


def _command(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(raw.replace(b"\0", b" ").decode(errors="replace").split())[:300]  # one line, however quoted


def in_use_message(uri: str, holders: list[Holder]) -> str:
    """What to tell a user whose Milvus Lite file is held by another process, and what to do about it."""
    who = ", ".join(str(h) for h in holders) if holders else "another process (which one could not be found)"
    if holders and all(h.pid == os.getpid() for h in holders):
        who = f"this process (pid {os.getpid()}), opened under another path"
    return (f"Milvus Lite file {uri} is in use by {who}. A Milvus Lite file belongs to one process at a time: "
            "stop that process, or, if it is `saferag serve`, go through its HTTP API (/v1/search, "
            "/v1/documents, /v1/chat/completions), or keep the collection on a Milvus server that many "
            "processes can share (SAFERAG_MILVUS_URI=http://host:19530)")
