"""Helpers for running real services on loopback, shared by saferag's tests and benchmarks.

Both start servers as subprocesses (llama.cpp's server, Milvus, ``saferag serve``) and need a free
port and a way to wait for them; this is the one copy.
"""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, *, timeout: float, interval: float = 0.3) -> bool:
    """True once ``url`` answers 200; False if ``proc`` exits or ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    return False
