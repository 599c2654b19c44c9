"""Can the best dense score tell a question the documents cover from one they do not?

  python -m benchmarks.relevance_floor [--uri benchmarks/eval_docs.db]

For each development corpus, its own questions ("in") and questions about another corpus ("out": git questions
asked of SQLite's or PostgreSQL's documentation, SQLite and PostgreSQL questions asked of git's) are searched
dense, k = 5. Printed per pair: the best cosine's quartiles for each side, and for a range of floors, the share
of "out" questions below the floor (what a floor would answer with "not in the documents") and of "in" questions
below it (answers lost), split into those whose right page was in the top 5 and those it was not; and the share
of the first 100 safe XSTest prompts (everyday questions, far from any of the corpora) below it.
Roles: the sqlite pair is where a floor is chosen; postgres and git report it. Uses the collections
``benchmarks.retrieval_quality`` builds (run it first).
"""

from __future__ import annotations

import argparse
import csv
import statistics

from benchmarks.retrieval_quality import EVAL, HERE, SETS
from saferag import SafeRag
from saferag.evaluate import load_qa

#: corpus → (questions about other corpora, role)
PAIRS = {"sqlite": (["git"], "choose the floor"), "postgres": (["git"], "report"),
         "git": (["sqlite", "postgres"], "report")}
FLOORS = [0.30, 0.35, 0.40, 0.45, 0.50]


def best_scores(rag: SafeRag, items: list[dict]) -> list[tuple[float, bool]]:
    """(best dense cosine, whether the right page is in the top 5) per question."""
    out = []
    for item in items:
        hits = rag.search(item["question"], k=5, mode="dense")
        found = any(h.source == item["source"] or h.source.endswith("/" + item["source"]) for h in hits)
        out.append((hits[0].score if hits else 0.0, found))
    return out


def quartiles(xs: list[float]) -> str:
    q = statistics.quantiles(xs, n=4)
    return f"min {min(xs):.3f}  q1 {q[0]:.3f}  median {q[1]:.3f}  q3 {q[2]:.3f}  max {max(xs):.3f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", default=str(HERE / "eval_docs.db"))
    args = ap.parse_args()
    with open(EVAL / "xstest_prompts.csv", newline="", encoding="utf-8") as f:
        everyday = [{"question": r["prompt"], "source": ""} for r in csv.DictReader(f) if r["label"] == "safe"][:100]
    for corpus, (others, role) in PAIRS.items():
        with SafeRag(milvus_uri=args.uri, collection=f"{corpus}_docs", guard="off") as rag:
            inside = best_scores(rag, load_qa(SETS[corpus][2]))
            outside = [s for o in others for s, _ in best_scores(rag, load_qa(SETS[o][2]))]
            far = [s for s, _ in best_scores(rag, everyday)]
        print(f"## {corpus} docs ({role}): {len(inside)} own questions, {len(outside)} from {'+'.join(others)}")
        print(f"   in : {quartiles([s for s, _ in inside])}")
        print(f"   out: {quartiles(outside)}")
        for floor in FLOORS:
            out_below = sum(s < floor for s in outside) / len(outside)
            lost_found = sum(s < floor and f for s, f in inside)
            lost_missed = sum(s < floor and not f for s, f in inside)
            print(f"   floor {floor:.2f}: out below {out_below:.3f}, everyday below "
                  f"{sum(s < floor for s in far) / len(far):.3f}; in below {lost_found + lost_missed}/{len(inside)} "
                  f"({lost_found} with the right page in the top 5, {lost_missed} without)", flush=True)


if __name__ == "__main__":
    main()
