"""Cold start of `saferag ask`: where the seconds go before the first token, and the first token itself.

  python -m benchmarks.cold_start --uri DB --collection C [--question Q] [--runs 3] [--server] [--first-start]

Two measurements, each in fresh processes so nothing is warm but the OS file cache:

- stages: one process imports saferag and loads each part in turn (embedder, collection, guard, injection
  screen, generator), timing each, to show what a cold ask pays for;
- end to end: ``saferag ask --stream`` as a user runs it, timing from the process start to the first answer
  character on stdout (answers unscreened, so tokens stream) and to its exit; and the same ask in process
  after a warm-up, for generation's own first-token time;
- with ``--server``: ``saferag ask --stream --server URL`` against a ``saferag serve`` of the same collection,
  started here and warmed by one ask (the models stay loaded there; the command loads none).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

STAGES = r"""
import json, sys, time
t0 = time.perf_counter(); out = {}
def mark(name):
    global t0
    now = time.perf_counter(); out[name] = round(now - t0, 3); t0 = now
import saferag.rag; mark("import saferag")
from saferag import SafeRag
rag = SafeRag(milvus_uri=sys.argv[1], collection=sys.argv[2], guard_answers=False); mark("settings")
rag.embedder; mark("embedder")
rag.open_existing(); mark("open collection")
rag.guard; mark("guard")
rag.injection_screen; mark("injection screen")
rag.generator; mark("generator")
out["torch imported"] = "torch" in sys.modules
print(json.dumps(out))
"""

SAFERAG = shutil.which("saferag") or str(Path(sys.executable).parent / "saferag")  # the console script


def end_to_end(uri: str, collection: str, question: str, cache: str = "", server: str = "") -> tuple[float, float]:
    """Seconds from starting `saferag ask --stream` to its first answer character, and to its exit; ``cache``: a
    ``cache_dir`` to use instead of the configured one; ``server``: ask that running server instead."""
    env = {**os.environ, "SAFERAG_GUARD_ANSWERS": "false", "PYTHONUNBUFFERED": "1"}
    if cache:
        env["SAFERAG_CACHE_DIR"] = cache
    t0 = time.perf_counter()
    where = ["--server", server] if server else ["--uri", uri]
    proc = subprocess.Popen([SAFERAG, "ask", question, "--stream", *where, "--collection", collection],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    first = None
    while True:
        char = proc.stdout.read(1)
        if not char:
            break
        if first is None and not char.isspace():
            first = time.perf_counter() - t0
    proc.wait()
    return first or float("nan"), time.perf_counter() - t0


def through_server(uri: str, collection: str, question: str, runs: int) -> None:
    """`saferag ask --server` against a `saferag serve` of the collection, started here, warmed, then stopped."""
    from saferag.config import load_settings
    from saferag.remote import ask_remote
    from saferag.testing import free_port, wait_until_up

    port = free_port()
    env = {**os.environ, "SAFERAG_GUARD_ANSWERS": "false"}
    server = subprocess.Popen([SAFERAG, "serve", "--port", str(port), "--uri", uri, "--collection", collection],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_up(f"{url}/healthz", server, timeout=300, interval=0.5):
            raise SystemExit("saferag serve did not start")
        key = load_settings().server_api_key  # where api_keys are configured, SAFERAG_SERVER_API_KEY is one
        ask_remote(url, question, collection=collection, api_key=key)  # the server loads its parts on its first ask
        for run in range(runs):
            first, total = end_to_end(uri, collection, f"{question} [server {run}]", server=url)
            print(f"run {run}: `saferag ask --stream --server`: first answer character {first:.2f}s, "
                  f"exit {total:.2f}s", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", required=True)
    ap.add_argument("--collection", required=True)
    ap.add_argument("--question", default="How do I enable write-ahead logging?")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--first-start", action="store_true",
                    help="also time the first start on a machine: an empty cache_dir, so the GGUF is joined and "
                         "the embedder and guard converted before answering")
    ap.add_argument("--server", action="store_true", help="also time `saferag ask --server` against a warm "
                                                          "`saferag serve` of the collection")
    args = ap.parse_args()
    if args.server:
        through_server(args.uri, args.collection, args.question, args.runs)
    if args.first_start:
        import tempfile

        with tempfile.TemporaryDirectory() as cache:
            first, total = end_to_end(args.uri, args.collection, f"{args.question} (first start)", cache)
        print(f"first start (empty cache): first answer character {first:.2f}s, exit {total:.2f}s", flush=True)
    for run in range(args.runs):
        stages = json.loads(subprocess.run([sys.executable, "-c", STAGES, args.uri, args.collection],
                                           capture_output=True, text=True, check=True).stdout.splitlines()[-1])
        seconds = sum(v for v in stages.values() if not isinstance(v, bool))
        first, total = end_to_end(args.uri, args.collection, f"{args.question} ({run})")
        print(f"run {run}: stages {stages} (sum {seconds:.2f}s); `saferag ask --stream`: first "
              f"answer character {first:.2f}s, exit {total:.2f}s", flush=True)

    from saferag import SafeRag

    with SafeRag(milvus_uri=args.uri, collection=args.collection, guard_answers=False) as rag:
        rag.ask(args.question)  # warm
        firsts = []
        for run in range(args.runs):
            t0, first = time.perf_counter(), []

            def stamp(_: str, t0: float = t0, first: list[float] = first) -> None:
                if not first:
                    first.append(time.perf_counter() - t0)

            rag.ask(f"{args.question} [{run}]", on_token=stamp)
            firsts.append(first[0])
        print(f"warm, in process: first token after {sorted(firsts)[len(firsts) // 2]:.2f}s (median of {args.runs})")


if __name__ == "__main__":
    main()
