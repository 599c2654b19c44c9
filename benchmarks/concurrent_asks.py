"""16 concurrent `ask`s through the `openai` backend against a batching server, vs one after another.

  python -m benchmarks.concurrent_asks --server-bin PATH/llama-server [--n 16] [--parallel 16]
  python -m benchmarks.concurrent_asks --base-url http://host:8000/v1 --model NAME   # e.g. vllm serve

With --server-bin it starts llama.cpp's C++ server on 127.0.0.1 with the packaged SmolLM2 GGUF and
``--parallel`` slots (continuous batching), and stops it after. (llama-cpp-python's Python server
runs one request at a time, so it cannot show batching.) The corpus is saferag's own docs; each
ask retrieves, builds the prompt and generates greedily with a fixed token budget. The same n
questions run sequentially, then all at once from n threads sharing one ``SafeRag``: a global
lock anywhere in saferag would make the two rates equal.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from saferag import SafeRag
from saferag.demo import demo_docs
from saferag.llm.llamacpp import packaged_model_path
from saferag.testing import wait_until_up

QUESTIONS = [
    "How do I install saferag?", "Which command runs the demo?", "How is HTML turned into text?",
    "How big are the chunks and how much do they overlap?", "Which embedding model is the default?",
    "How does hybrid search combine dense and BM25 results?", "What happens when a file cannot be read?",
    "How do I point saferag at a Milvus server?", "Which LLM backends are there?",
    "How are passages ordered in the prompt?", "What does the --json output of ask contain?",
    "How fast is ingest compared with LlamaIndex?", "How is a crashed ingest recovered?",
    "What is the search latency at fourteen thousand chunks?", "How are sources cited in answers?",
    "Which settings control the context window?",
]


def start_server(binary: str, port: int, parallel: int, ctx_per_slot: int, threads: int, log: Path):
    cmd = [binary, "-m", str(packaged_model_path()), "--host", "127.0.0.1", "--port", str(port),
           "--parallel", str(parallel), "--ctx-size", str(parallel * ctx_per_slot), "--threads", str(threads),
           "--alias", "smollm2", "--cache-ram", "0"]  # no cross-request prompt cache: each ask pays its prompt
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    if wait_until_up(f"http://127.0.0.1:{port}/health", proc, timeout=120):
        return proc
    proc.kill()
    raise SystemExit(f"llama-server did not start; see {log}")


def run(rag: SafeRag, questions: list[str], workers: int) -> tuple[float, list[float], int]:
    """Wall seconds for all asks, per-ask latencies, and generated characters."""
    def one(q: str) -> tuple[float, int]:
        t0 = time.perf_counter()
        answer = rag.ask(q)
        return time.perf_counter() - t0, len(answer.answer)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, questions))
    return time.perf_counter() - t0, [r[0] for r in results], sum(r[1] for r in results)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server-bin", default=os.environ.get("LLAMA_SERVER", ""))
    ap.add_argument("--base-url", default="")
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--parallel", type=int, default=16)
    ap.add_argument("--ctx-per-slot", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("-k", type=int, default=3)
    args = ap.parse_args()
    if not (args.server_bin or args.base_url):
        raise SystemExit("give --server-bin (llama.cpp's llama-server) or --base-url of a running server")

    tmp = Path(tempfile.mkdtemp(prefix="saferag-bench-"))
    proc = None
    try:
        base_url = args.base_url
        if not base_url:
            port = 18000 + os.getpid() % 1000
            proc = start_server(args.server_bin, port, args.parallel, args.ctx_per_slot, args.threads,
                                tmp / "server.log")
            base_url = f"http://127.0.0.1:{port}/v1"
        rag = SafeRag(milvus_uri=str(tmp / "bench.db"), collection="bench", llm_backend="openai",
                      llm_base_url=base_url, llm_model=args.model, llm_context_window=args.ctx_per_slot,
                      temperature=0.0, seed=1, max_tokens=args.max_tokens, top_k=args.k)
        rag.ingest([demo_docs()])
        questions = (QUESTIONS * (args.n // len(QUESTIONS) + 1))[: args.n]
        rag.ask("warm up")
        print(f"{args.n} asks, k={args.k}, up to {args.max_tokens} new tokens each, server {base_url}, "
              f"{args.parallel} slots, {os.cpu_count()} CPUs")
        seq_wall, seq_lat, seq_chars = run(rag, questions, workers=1)
        par_wall, par_lat, par_chars = run(rag, questions, workers=args.n)
        for name, wall, lat, chars in (("sequential", seq_wall, seq_lat, seq_chars),
                                       ("concurrent", par_wall, par_lat, par_chars)):
            print(f"{name:>10}: {wall:6.1f} s wall, {args.n / wall:5.2f} asks/s, {chars / wall:6.0f} answer chars/s, "
                  f"latency p50 {statistics.median(lat):5.2f} s, max {max(lat):5.2f} s")
        print(f"throughput ratio (asks/s): {seq_wall / par_wall:.2f}x; "
              f"(answer chars/s): {(par_chars / par_wall) / (seq_chars / seq_wall):.2f}x")
        rag.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
