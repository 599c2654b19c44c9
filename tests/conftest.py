"""Shared fixtures: the real packaged embedder, real Milvus Lite files, a generated corpus."""

from __future__ import annotations

import http.server
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Tests fork this process (pexpect's pseudo-terminals) while pymilvus' gRPC threads are alive. With gRPC's fork
# support on, its handler restarts a poller thread in the forked copy, which dies when pexpect closes that copy's
# file descriptors before exec ("epoll_wait error: Bad file descriptor", once in a CI run on 2026-12-05, failing
# test_chat_cli's setup). The copy only execs, so it needs none of gRPC: read before gRPC starts, so set first.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
# A Ray driver (the Ray ingest tests run one in this process) installs its own SIGSEGV handler, which writes to
# Ray's session log and outlives ray.shutdown(): a later crash of this process then printed nothing but
# "Segmentation fault" (CI, 2026-12-08). Without it, Python's fault handler (pytest's) prints the stacks.
os.environ.setdefault("RAY_DISABLE_FAILURE_SIGNAL_HANDLER", "1")
import pymilvus  # noqa: E402,F401 - configures its loggers on import; quiet them after

for _name in ("pymilvus", "milvus_lite"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

from corpus import write_corpus  # noqa: E402

from saferag import SafeRag  # noqa: E402
from saferag.embed import SentenceTransformerEmbedder  # noqa: E402
from saferag.testing import free_port, wait_until_up  # noqa: E402,F401 - the tests import them from here


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path):
    """No developer env var or saferag.toml leaks into a test."""
    for key in list(os.environ):
        if key.startswith("SAFERAG_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SAFERAG_CONFIG", str(tmp_path / "no-such-saferag.toml"))


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The packaged all-MiniLM-L6-v2, loaded once per test session."""
    return SentenceTransformerEmbedder()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def make_rag(tmp_path: Path, embedder):
    """Build ``SafeRag`` objects on a fresh Milvus Lite file (or a given URI); closed after the test."""
    made: list[SafeRag] = []

    def make(uri: str | None = None, **overrides) -> SafeRag:
        rag = SafeRag(embedder=overrides.pop("embedder", embedder), milvus_uri=uri or str(tmp_path / "test.db"),
                      collection=overrides.pop("collection", "docs"), **overrides)
        made.append(rag)
        return rag

    yield make
    for rag in made:
        rag.close()


@pytest.fixture(scope="session")
def generator():
    """The packaged SmolLM2-135M-Instruct in llama.cpp, loaded once per test session: the fastest packaged model,
    for tests of the pipeline's mechanics (the default model runs where tests go through the CLI)."""
    from saferag.llm.llamacpp import LlamaCppGenerator

    return LlamaCppGenerator("smollm2-135m")


@pytest.fixture(scope="session")
def default_generator():
    """The default packaged model (Qwen2.5-Coder-0.5B-Instruct), for tests of what a user gets from it: whether
    SmolLM2 cites a passage flips with the last bits of llama.cpp's arithmetic (its AVX2 and AVX-512 builds differ)."""
    from saferag.llm.llamacpp import LlamaCppGenerator

    return LlamaCppGenerator("")


def served(cmd: list[str], url: str, name: str, log_dir: Path, *, timeout: float, env: dict | None = None):
    """Run the server ``cmd`` until the generator is closed; yields ``url`` once ``{url}/models`` answers. Its
    output goes to a log file (a pipe would fill and block it), shown when it does not start."""
    log = (log_dir / "server.log").open("w+b")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        if not wait_until_up(f"{url}/models", proc, timeout=timeout):
            proc.kill()
            log.seek(0)
            raise RuntimeError(f"{name} did not start: {log.read().decode(errors='replace')[-2000:]}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory):
    """llama.cpp's OpenAI-compatible server with the packaged model; stopped after the session."""
    from saferag.llm.llamacpp import packaged_model_path

    port = free_port()
    model = str(packaged_model_path("smollm2-135m"))
    yield from served([sys.executable, "-m", "llama_cpp.server", "--model", model, "--model_alias", "smollm2",
                       "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"],
                      f"http://127.0.0.1:{port}/v1", "llama_cpp.server", tmp_path_factory.mktemp("llm-server"),
                      timeout=90)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def web_server(corpus):
    """A real HTTP server on 127.0.0.1 serving the corpus folder."""
    handler = lambda *a, **kw: _QuietHandler(*a, directory=str(corpus), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def milvus_server(tmp_path):
    """A real Milvus-protocol gRPC server (`milvus-lite server`) on 127.0.0.1, stopped afterwards."""
    exe = shutil.which("milvus-lite") or str(Path(sys.executable).parent / "milvus-lite")
    port = free_port()
    proc = subprocess.Popen([exe, "server", "--data-dir", str(tmp_path / "server-data"),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"milvus-lite server did not start: {proc.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


INFINITY = Path(__file__).parent.parent / ".venv-infinity" / "bin" / "infinity_emb"


@pytest.fixture(scope="session")
def embedding_server(tmp_path_factory):
    """Infinity, a real OpenAI-compatible embedding server, serving the packaged MiniLM from its folder on
    127.0.0.1 under the name saferag records for it; stopped after the session. Installed in a venv of its own
    by scripts/install_infinity.sh (CI runs it); skipped without it."""
    from saferag.embed import PACKAGED_MODEL_NAME, packaged_model_path

    exe = str(INFINITY) if INFINITY.exists() else shutil.which("infinity_emb")
    if not exe:
        pytest.skip("no Infinity embedding server: run scripts/install_infinity.sh")
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "INFINITY_ANONYMOUS_USAGE_STATS": "0", "DO_NOT_TRACK": "1"}
    yield from served([exe, "v2", "--model-id", str(packaged_model_path()), "--served-model-name",
                       PACKAGED_MODEL_NAME, "--host", "127.0.0.1", "--port", str(port), "--url-prefix", "/v1",
                       "--engine", "torch", "--device", "cpu", "--no-bettertransformer"],
                      f"http://127.0.0.1:{port}/v1", "infinity_emb", tmp_path_factory.mktemp("infinity"),
                      timeout=180, env=env)
