"""The parse worker: heavy formats are parsed in a child process with a deadline and a memory limit.

A parser library can loop for minutes on a crafted file, or build a DOM many times the file's size; in the
ingest's own process either would hang or exhaust the whole ingest. Here the child gets ``parse_timeout``
seconds per file, after which it is killed (with anything it started, e.g. Tesseract) and the file reported;
the next file gets a fresh child. Its address space is capped (``RLIMIT_AS``), so a file that would need more
fails with a reason instead of swapping the machine. One child serves a whole ingest: starting it (about half
a second) is paid once, not per file.

Protocol: length-prefixed pickles over the child's stdin/stdout; the child says ``ready`` once, then answers
each ``(kind, data, source, max_bytes, images)`` with ``("ok", [Document, …], peak_rss_mb)`` or
``("error", reason, peak_rss_mb)``.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from saferag.errors import DocumentError
from saferag.ingest.document import Document

_HEADER = struct.Struct("!Q")
#: The readers' libraries (those installed), imported when the child starts.
PRELOAD = ("pypdf", "docx", "pptx", "openpyxl", "lxml.etree", "ebooklib.epub", "pypdfium2", "email.policy", "mailbox",
           "nbformat", "extract_msg", "saferag.ingest.formats.office", "saferag.ingest.formats.tables",
           "saferag.ingest.formats.epub", "saferag.ingest.formats.pdf", "saferag.ingest.formats.mail",
           "saferag.ingest.formats.outlook", "saferag.ingest.formats.notebook", "PIL.Image")
START_TIMEOUT = 60.0  # seconds for the child to import its modules; not counted against parse_timeout


def memory_limit(max_bytes: int) -> int:
    """The child's address-space cap: 2 GiB plus 8x the largest document (a DOM is several times its XML)."""
    return (2 << 30) + 8 * max_bytes


class Parser:
    """Parses files of ``formats.WORKER_KINDS`` in a child process; thread-safe, one file at a time."""

    def __init__(self, timeout: float = 120.0, max_bytes: int = 100 << 20, memory_bytes: int | None = None,
                 images: bool = False) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.images = images  # read attachments' images by OCR (``ocr_images``)
        self.memory_bytes = memory_limit(max_bytes) if memory_bytes is None else memory_bytes
        self.peak_rss_mb = 0.0  # the largest resident size a child reached, Tesseract included
        self.started = 0  # children started (a killed child is replaced by a new one)
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: Any = None
        self._lock = threading.Lock()

    def __enter__(self) -> Parser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def parse(self, kind: str, data: bytes, source: str) -> list[Document]:
        """The documents in ``data``; raises ``DocumentError`` with the reason (timeout and crash included)."""
        with self._lock:
            proc = self._ensure()
            try:
                _send(proc.stdin, (kind, data, source, self.max_bytes, self.images))
            except OSError:
                raise DocumentError(f"the parser process died{self._kill()}") from None
            reply = self._receive(proc, time.monotonic() + self.timeout)
            if reply is None:
                self._kill()
                raise DocumentError(f"parsing took longer than {self.timeout:g} s (SAFERAG_PARSE_TIMEOUT)")
            status, value, peak = reply
            self.peak_rss_mb = max(self.peak_rss_mb, peak)
            if status != "ok":
                raise DocumentError(value)
            return value

    def close(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None:
                try:
                    if proc.stdin is not None:
                        proc.stdin.close()  # the child's read ends: it exits
                    proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    _kill_group(proc)
            if self._stderr is not None:
                self._stderr.close()
                self._stderr = None

    # -- the child ------------------------------------------------------------------------------------------------

    def _ensure(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._kill()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[3])  # the folder holding the saferag package
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen([sys.executable, "-m", "saferag.ingest.formats.worker", str(self.memory_bytes)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=env,
                                      start_new_session=True)  # its own process group: killed with its children
        self.started += 1
        if self._receive(self._proc, time.monotonic() + max(START_TIMEOUT, self.timeout)) is None:
            raise DocumentError(f"the parser process did not start{self._kill()}")
        return self._proc

    def _receive(self, proc: subprocess.Popen[bytes], deadline: float) -> Any:
        """The child's next message; None when the deadline passed. Raises ``DocumentError`` if it died."""
        assert proc.stdout is not None  # started with stdout=PIPE
        fd = proc.stdout.fileno()
        head = _read_exact(fd, _HEADER.size, deadline)
        body = _read_exact(fd, _HEADER.unpack(head)[0], deadline) if head else head
        if body is None:
            return None
        if not body:  # end of file: the child is gone
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            raise DocumentError(f"the parser process crashed (exit {proc.returncode}){self._kill()}")
        return pickle.loads(body)

    def _kill(self) -> str:
        """Kill the child and its children; return the tail of its error output, for a reason."""
        proc, self._proc = self._proc, None
        if proc is not None:
            _kill_group(proc)
        tail = ""
        if self._stderr is not None:
            self._stderr.seek(0, os.SEEK_END)
            self._stderr.seek(max(0, self._stderr.tell() - 300))
            last = self._stderr.read().decode(errors="replace").strip().splitlines()[-1:] or [""]
            tail = f": {last[0]}" if last[0] else ""
            self._stderr.close()
            self._stderr = None
        return tail


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    for pipe in (proc.stdin, proc.stdout):
        try:
            if pipe is not None:
                pipe.close()
        except OSError:
            pass


def _read_exact(fd: int, n: int, deadline: float) -> bytes | None:
    """``n`` bytes from ``fd``; None past the deadline, b"" at end of file."""
    chunks, got = [], 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            return b""
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _send(pipe: Any, message: Any) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(_HEADER.pack(len(body)) + body)
    pipe.flush()


def _recv(pipe: Any) -> Any:
    head = pipe.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    return pickle.loads(pipe.read(_HEADER.unpack(head)[0]))


def main() -> None:
    import resource

    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to stderr, not into the replies
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from saferag.ingest import formats

    for module in PRELOAD:  # imported before "ready": parse_timeout measures parsing, not imports
        try:
            __import__(module)
        except ImportError:
            pass

    def peak() -> float:
        """Peak resident MiB of this process (VmHWM: ru_maxrss would report the parent's, kept across exec) and of
        the children it waited for (Tesseract)."""
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            with open("/proc/self/status") as fh:
                own = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
        except (OSError, StopIteration, ValueError, IndexError):
            pass
        return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024

    _send(out, ("ready", None, peak()))
    while (request := _recv(sys.stdin.buffer)) is not None:
        kind, data, source, max_bytes, images = request
        reply: tuple[str, Any, float]
        try:
            reply = ("ok", formats.read(kind, data, source, max_bytes, images=images), peak())
        except DocumentError as exc:
            reply = ("error", str(exc), peak())
        except MemoryError:
            reply = ("error", f"ran out of memory parsing it (the parser's limit is {limit / 2**30:.1f} GiB)", peak())
        except RecursionError:
            reply = ("error", "too deeply nested to parse", peak())
        except Exception as exc:  # noqa: BLE001 - a library's own error on a malformed file: report it, go on
            reply = ("error", f"could not parse: {type(exc).__name__}: {exc}", peak())
        del request, data
        _send(out, reply)


if __name__ == "__main__":
    main()
