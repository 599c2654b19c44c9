"""The compiled question check in bfloat16 against float32: verdicts on every guard report set, and latency.

  python -m benchmarks.guard_precision

The float32 graph's scores match the torch model's, at which the threshold was calibrated; bfloat16 (where the CPU
runs it natively) is faster but rounds. This counts, per set, the texts whose verdict differs between the two and
the largest score difference, and times one text at a time through each (the question check's own shape). The
unseen documentation sets (``guard_doc_questions.UNSEEN``) are counted, never printed.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from benchmarks import guard_quality
from benchmarks.guard_doc_questions import INSPECTED, UNSEEN, questions
from saferag.guard.embedded import EmbeddingGuard


def report_sets() -> dict[str, list[tuple[str, bool]]]:
    """(text, unsafe) of every guard report set found here: ``guard_quality``'s and ``guard_doc_questions``'."""
    sets = {name: [(t, u) for t, u, _ in read()] for name, read in guard_quality.report_sets().items()}
    for group in (INSPECTED, UNSEEN):
        sets |= {name: [(q, False) for q in qs] for name, qs in questions(group).items()}
    return {name: rows for name, rows in sets.items() if rows}


def main() -> None:
    guards = {p: EmbeddingGuard(precision=p) for p in ("float32", "bfloat16")}
    seconds: dict[str, list[float]] = {p: [] for p in guards}
    flips = texts = 0
    largest = 0.0
    print(f"{'set':24} {'n':>5} {'flagged f32':>11} {'bf16':>5} {'differ':>6} {'max |dP|':>9}")
    for name, rows in report_sets().items():
        verdicts, scores = {}, {}
        for p, guard in guards.items():
            ps, cs = [], []
            for text, _ in rows:
                t0 = time.perf_counter()
                p_unsafe, probs = guard.score([text])
                seconds[p].append(time.perf_counter() - t0)
                ps.append(p_unsafe[0])
                cs.append(probs[0])
            scores[p] = np.array(ps)
            verdicts[p] = guard.decide(scores[p], np.array(cs))
        differ = np.flatnonzero(verdicts["float32"] != verdicts["bfloat16"])
        gap = float(np.abs(scores["float32"] - scores["bfloat16"]).max())
        flips, texts, largest = flips + len(differ), texts + len(rows), max(largest, gap)
        print(f"{name:24} {len(rows):5d} {int(verdicts['float32'].sum()):11d} {int(verdicts['bfloat16'].sum()):5d} "
              f"{len(differ):6d} {gap:9.4f}")
        if name not in UNSEEN:
            for i in differ:
                print(f"    {'unsafe' if rows[i][1] else 'safe'}: {scores['float32'][i]:.3f} -> "
                      f"{scores['bfloat16'][i]:.3f} {rows[i][0][:90]}")
    print(f"all: {flips} of {texts} verdicts differ; largest score difference {largest:.4f}")
    for p, values in seconds.items():
        values.sort()
        print(f"{p}: one text p50 {1000 * statistics.median(values):.1f} ms, "
              f"p95 {1000 * values[int(len(values) * 0.95)]:.1f} ms")


if __name__ == "__main__":
    main()
