"""Run the saferag app on a real socket on 127.0.0.1 (uvicorn in a thread), stopped afterwards."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import uvicorn
from conftest import free_port

from saferag.rag import SafeRag
from saferag.server import create_app


@contextmanager
def serving(rag: SafeRag):
    """The app over ``rag`` at ``http://127.0.0.1:<port>``; yields (base URL, FastAPI app)."""
    app = create_app(rag=rag)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the saferag app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=20)
