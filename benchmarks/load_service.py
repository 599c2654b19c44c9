"""Load test of `saferag serve`: N concurrent clients for a fixed time, loopback only.

  python -m benchmarks.load_service [--clients 32] [--duration 60]                 # embedded llama.cpp
  python -m benchmarks.load_service --server-bin PATH/llama-server [--parallel 4]   # openai backend

It ingests saferag's own docs into a fresh Milvus Lite file, starts `saferag serve` as its own
process on 127.0.0.1 (with --server-bin, also llama.cpp's C++ server for the `openai` backend),
and runs the clients (asyncio + httpx) against POST /v1/chat/completions until the time is up;
requests still in flight then are waited for (bounded by the server's request timeout). Each
request carries a unique X-Request-Id; a response is "mismatched" unless it echoes that id and
is a well-formed completion with sources (or a refusal). "Lost" is a request with no HTTP
response at all. Prints throughput, latency percentiles of the 200s, and counts by status.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from benchmarks.concurrent_asks import QUESTIONS, start_server

from saferag.demo import demo_docs
from saferag.testing import free_port, wait_until_up


def start_saferag(env: dict, port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "saferag.cli", "serve", "--port", str(port)], env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    if wait_until_up(f"http://127.0.0.1:{port}/readyz", proc, timeout=300, interval=0.5):
        return proc
    proc.kill()
    raise SystemExit(f"saferag serve did not become ready; see {log}")


async def client(url: str, stop_at: float, results: list, timeout: float, seq: collections.Counter) -> None:
    async with httpx.AsyncClient(timeout=timeout) as http:
        while time.monotonic() < stop_at:
            n = seq["n"]
            seq["n"] += 1
            rid = uuid.uuid4().hex
            body = {"model": "bench", "messages": [{"role": "user", "content": QUESTIONS[n % len(QUESTIONS)]}]}
            t0 = time.perf_counter()
            try:
                res = await http.post(f"{url}/v1/chat/completions", json=body, headers={"X-Request-Id": rid})
            except httpx.HTTPError as exc:
                results.append(("lost", time.perf_counter() - t0, type(exc).__name__))
                continue
            seconds = time.perf_counter() - t0
            ok = res.headers.get("x-request-id") == rid
            if res.status_code == 200:
                data = res.json()
                ok = ok and data["object"] == "chat.completion" and bool(data["choices"][0]["message"]["content"])
                ok = ok and (data["refused"] or bool(data["sources"]))
            results.append((res.status_code if ok else "mismatched", seconds, ""))
            if res.status_code == 429:
                await asyncio.sleep(float(res.headers.get("retry-after", "1")))


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--server-bin", default="", help="llama.cpp's llama-server: use the openai backend")
    ap.add_argument("--parallel", type=int, default=4, help="llama-server slots")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--max-concurrent-asks", type=int, default=4)
    ap.add_argument("--max-queued-asks", type=int, default=32)
    ap.add_argument("--request-timeout", type=float, default=120.0)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="saferag-load-"))
    env = {**os.environ, "SAFERAG_MILVUS_URI": str(tmp / "load.db"), "SAFERAG_COLLECTION": "bench",
           "SAFERAG_MAX_TOKENS": str(args.max_tokens), "SAFERAG_LLM_THREADS": "2",
           "SAFERAG_MAX_CONCURRENT_ASKS": str(args.max_concurrent_asks),
           "SAFERAG_MAX_QUEUED_ASKS": str(args.max_queued_asks),
           "SAFERAG_REQUEST_TIMEOUT": str(args.request_timeout), "SAFERAG_CONFIG": str(tmp / "none.toml")}
    llm = None
    if args.server_bin:
        llm_port = free_port()
        llm = start_server(args.server_bin, llm_port, args.parallel, 2048, 2, tmp / "llama-server.log")
        env.update(SAFERAG_LLM_BACKEND="openai", SAFERAG_LLM_BASE_URL=f"http://127.0.0.1:{llm_port}/v1",
                   SAFERAG_LLM_MODEL="smollm2", SAFERAG_LLM_CONTEXT_WINDOW="2048")
    subprocess.run([sys.executable, "-m", "saferag.cli", "ingest", str(demo_docs())], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    server = start_saferag(env, port, tmp / "saferag.log")
    url = f"http://127.0.0.1:{port}"
    try:
        results: list = []
        seq: collections.Counter = collections.Counter()
        t0 = time.monotonic()
        stop_at = t0 + args.duration

        async def run() -> None:
            await asyncio.gather(*(client(url, stop_at, results, args.request_timeout + 10, seq)
                                   for _ in range(args.clients)))

        asyncio.run(run())
        wall = time.monotonic() - t0
    finally:
        server.terminate()
        server.wait(timeout=30)
        if llm is not None:
            llm.terminate()
            llm.wait(timeout=30)

    by_status = collections.Counter(str(r[0]) for r in results)
    ok = sorted(r[1] for r in results if r[0] == 200)
    summary = {
        "backend": f"openai (llama-server --parallel {args.parallel})" if args.server_bin else "embedded llama.cpp",
        "clients": args.clients, "duration_s": args.duration, "wall_s": round(wall, 1),
        "max_tokens": args.max_tokens, "max_concurrent_asks": args.max_concurrent_asks,
        "max_queued_asks": args.max_queued_asks, "requests": len(results), "sent": seq["n"],
        "by_status": dict(by_status), "lost": by_status.get("lost", 0), "mismatched": by_status.get("mismatched", 0),
        "throughput_ok_per_s": round(len(ok) / wall, 3),
        "latency_ok_s": {"p50": round(pct(ok, 50), 2), "p95": round(pct(ok, 95), 2), "p99": round(pct(ok, 99), 2)}
        if ok else None,
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
