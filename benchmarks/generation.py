"""Embedded backend speed: time to first token and tokens/s, on a grounded RAG-sized prompt.

  python -m benchmarks.generation [--runs 5] [--model PATH.gguf] [--threads N]

The prompt is built by saferag's own template from five passages of about 500 characters, as
`saferag ask` sends it, with a different first line each run so no prompt cache helps;
generation is greedy with a fixed token budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from saferag.llm import SamplingParams
from saferag.llm.llamacpp import LlamaCppGenerator
from saferag.prompts import SYSTEM, build_prompt
from saferag.types import Hit

PASSAGE = ("Write-ahead logging lets readers continue reading the database while a writer appends "
           "changes to a separate log; a checkpoint later moves those pages back into the main file. "
           "Readers see a consistent snapshot because each one remembers the last valid frame. ")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--model", default="")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--max-tokens", type=int, default=128)
    args = ap.parse_args()

    gen = LlamaCppGenerator(args.model, threads=args.threads)
    hits = [Hit(text=PASSAGE * 2, source=f"doc{i}.html", score=1 - i / 10, chunk_index=0) for i in range(5)]
    question = "How does write-ahead logging let readers and a writer work at once?"
    prompt = build_prompt(question, hits)
    params = SamplingParams(temperature=0.0, max_tokens=args.max_tokens, repeat_penalty=1.1, seed=1)
    print(f"model {gen.name}; prompt {gen.count_tokens(prompt.messages)} tokens; {os.cpu_count()} CPUs; "
          f"{args.runs} runs, up to {args.max_tokens} new tokens")
    gen.generate(prompt.messages, SamplingParams(max_tokens=4))  # warm up
    ttft, rates, counts, sizes = [], [], [], []
    for run in range(args.runs):
        # A different first line each run: llama.cpp reuses the KV cache of a repeated prompt prefix,
        # and real questions bring different passages, so time the prompt cold.
        prompt = build_prompt(question, hits, system=f"Session {run}. {SYSTEM}")
        sizes.append(gen.count_tokens(prompt.messages))
        t0 = time.perf_counter()
        first, n = None, 0
        for _piece in gen.stream(prompt.messages, params):
            n += 1
            if first is None:
                first = time.perf_counter()
        end = time.perf_counter()
        ttft.append(first - t0)
        counts.append(n)
        rates.append((n - 1) / (end - first) if n > 1 else 0.0)
    print(f"time to first token: p50 {statistics.median(ttft) * 1000:.0f} ms (includes prompt processing)")
    # Reading the prompt is most of the first token's time; on slow CPUs it is most of an answer's, too.
    print(f"prompt reading: about {statistics.median(s / t for s, t in zip(sizes, ttft, strict=True)):.0f} tokens/s "
          "(prompt tokens over time to first token)")
    print(f"generation: {statistics.median(rates):.1f} pieces/s after the first "
          f"(median over runs; {statistics.median(counts):.0f} pieces a run; llama.cpp streams one token a piece)")


if __name__ == "__main__":
    main()
