"""Guard cost: per-check latency, and end-to-end `ask` latency with the guard on vs off.

  python -m benchmarks.guard_latency [--runs 8] [--max-tokens 64]

Embedded llama.cpp model, saferag's own docs as the corpus, greedy decoding with a fixed token
budget; the same questions with `guard=off` and with the default guard (question screened
alongside retrieval, answer screened after generation, injection screen on).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from saferag import SafeRag
from saferag.demo import demo_docs

QUESTIONS = ["How do I install saferag?", "How is HTML turned into text?", "Which LLM backends are there?",
             "How does hybrid search work?", "What happens when a file cannot be read?",
             "How are sources cited?", "How fast is ingest?", "How do I use a Milvus server?"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=64)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="saferag-guard-bench-"))
    common = dict(milvus_uri=str(tmp / "g.db"), collection="docs", temperature=0.0, seed=1,
                  max_tokens=args.max_tokens, top_k=3)
    rag = SafeRag(**common)  # one store and model; the guard settings are switched between rounds
    rag.ingest([demo_docs()])
    off = rag.settings.model_copy(update={"guard": "off", "injection_screen": "off"})
    on = rag.settings
    for role in ("user", "agent"):  # the question model and the answer model are different classifiers
        checks = [rag.screen(q, role=role, question=q).latency for q in QUESTIONS * 3]
        print(f"embedded guard, one {role} check: p50 {statistics.median(checks) * 1000:.1f} ms over {len(checks)}")
    questions = (QUESTIONS * (args.runs // len(QUESTIONS) + 1))[: args.runs]
    results = {}
    for name, settings in (("guard off", off), ("guard on", on)):
        rag.settings = settings  # rebuilds the guard, its screener and the injection screen from these settings
        rag.ask("warm up")  # loads what the round uses (the model; the guard's models when on)
        totals, retrievals, generations = [], [], []
        for q in questions:
            t0 = time.perf_counter()
            answer = rag.ask(q)
            totals.append(time.perf_counter() - t0)
            retrievals.append(answer.timings["retrieval"])
            generations.append(answer.timings["generation"])
        results[name] = statistics.median(totals)
        print(f"{name:>9}: ask p50 {statistics.median(totals) * 1000:7.0f} ms, retrieval (with the question's "
              f"check alongside) p50 {statistics.median(retrievals) * 1000:5.1f} ms, generation p50 "
              f"{statistics.median(generations) * 1000:5.0f} ms")
    added = results["guard on"] / results["guard off"] - 1
    print(f"added by the guard: {added * 100:+.1f}% of the p50 ask")


if __name__ == "__main__":
    main()
