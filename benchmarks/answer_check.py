"""How the embedded guard's answer check judges the default model's own answers: refusals per set, and its latency.

  python -m benchmarks.answer_check [--answers benchmarks/default_model_answers.jsonl] [--sets knot,rsyslog]

``default_model_answers.jsonl`` holds the default model's (Qwen2.5-Coder-0.5B) answers to the questions of eleven
sets of ``retrieval_quality`` (742: SQLite, PostgreSQL, git, Node.js, Apache, Postfix, CMake, Django, BIND, Knot DNS,
rsyslog), as ``answer_quality --save`` wrote them with the guard off (greedy, seed 1; 2026-12-05/06; the SQLite and
PostgreSQL ones with rule A3's quoting, as shipped). Every answer is checked alone, as ``saferag ask`` checks it
(role ``agent``), and timed; each refusal is an ordinary answer its user would not have seen. Which sets judged
which answer check, and which were only development data, is in ``benchmarks/guard_rules.md`` (AG6-AG9): the Knot
DNS and rsyslog answers judged the shipped one. Regenerate the answers with ``answer_quality --sets X --save F``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

from saferag.guard.embedded import EmbeddingGuard

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", default=str(HERE / "default_model_answers.jsonl"))
    ap.add_argument("--sets", default="", help="comma-separated; default: every set in the file")
    args = ap.parse_args()
    rows = [json.loads(line) for line in Path(args.answers).read_text(encoding="utf-8").splitlines() if line]
    if args.sets:
        rows = [r for r in rows if r["set"] in args.sets.split(",")]
    guard = EmbeddingGuard()
    model = guard.models["agent"]

    def check(r: dict) -> bool:
        messages = [{"role": "user", "content": r["question"]}, {"role": "assistant", "content": r["answer"]}]
        return not guard.check(messages, role="agent").safe

    for r in rows[:10]:  # warm up: the first runs compile and fill caches
        check(r)
    refused: Counter[str] = Counter()
    seconds, windows = [], []
    for r in rows:
        t0 = time.perf_counter()
        refused[r["set"]] += check(r)
        seconds.append(time.perf_counter() - t0)
        windows.append(len(model.windows(r["answer"])))
    sets = list(dict.fromkeys(r["set"] for r in rows))
    print(f"guard: {guard.name}")
    print(f"{'set':9} {'n':>4} {'refused':>8}")
    for name in sets:
        print(f"{name:9} {sum(r['set'] == name for r in rows):4d} {refused[name]:8d}")
    print(f"{'all':9} {len(rows):4d} {sum(refused.values()):8d} ({sum(refused.values()) / len(rows):.1%})")
    print(f"answer check p50 {1000 * np.median(seconds):.1f} ms, p95 {1000 * np.percentile(seconds, 95):.1f} ms; "
          f"{np.mean(windows):.2f} windows an answer")


if __name__ == "__main__":
    main()
