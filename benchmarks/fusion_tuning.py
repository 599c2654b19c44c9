"""Choose the hybrid fusion and the per-source cap on the TUNING sets only (SQLite and PostgreSQL).

  python -m benchmarks.fusion_tuning [--uri benchmarks/eval_docs.db]

Each question's dense and BM25 lists are fetched once, 50 deep; every combination of fusion (weighted RRF or
a convex sum of min-max scores), dense weight, candidates per leg and ``max_per_source`` is then scored with
saferag's own ``fuse`` and ``diversify``, exactly as ``SafeRag.search`` runs them. Prints, per combination,
hit@1 / hit@5 / MRR on each set and the worst of the two hit@5 figures (a setting has to hold on both).
The report-only set (git) is never read here; run ``retrieval_quality.py`` for it, with the chosen setting.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from benchmarks.retrieval_quality import SETS

from saferag import SafeRag
from saferag.evaluate import load_qa
from saferag.retrieval import Fusion, diversify, fuse

HERE = Path(__file__).resolve().parent
TUNING = ("sqlite", "postgres")


def rank_of(hits, source: str) -> int | None:
    return next((i for i, h in enumerate(hits, 1) if h.source == source), None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", default=str(HERE / "eval_docs.db"))
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()

    legs: dict[str, list[tuple[str, list, list]]] = {}
    for name in TUNING:
        folder, glob, qa, _ = SETS[name]
        with SafeRag(milvus_uri=args.uri, collection=f"{name}_docs", guard="off") as rag:
            rag.ingest([folder], glob=glob)
            store = rag.store
            legs[name] = []
            for item in load_qa(qa):
                q = item["question"]
                vec = rag.embedder.embed_query(q)
                legs[name].append((item["source"], store.search(vec, q, k=50, mode="dense"),
                                   store.search(None, q, k=50, mode="bm25")))

    grid = []
    for kind, weight, cands, cap in itertools.product(
            ("rrf", "convex"), (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0), (10, 20, 40), (0, 1, 2, 3)):
        fusion = Fusion(kind=kind, dense_weight=weight, candidates=cands)
        row = {"fusion": kind, "w": weight, "cands": cands, "cap": cap}
        for name, questions in legs.items():
            ranks = []
            for source, dense, bm25 in questions:
                fused = fuse(dense[:cands], bm25[:cands], fusion)
                depth = max(args.k, cands) if cap else args.k
                ranks.append(rank_of(diversify(fused[:depth], args.k, cap), source))
            n = len(ranks)
            row[name] = (sum(r == 1 for r in ranks) / n, sum(r is not None for r in ranks) / n,
                         sum(1 / r for r in ranks if r) / n)
        grid.append(row)
    grid.sort(key=lambda r: (-min(r[s][1] for s in TUNING), -sum(r[s][2] for s in TUNING)))
    print(f"{'fusion':7} {'w':>4} {'cands':>5} {'cap':>3}  " + "  ".join(f"{s:>20}" for s in TUNING) + "  min hit@5")
    for r in grid:
        cells = "  ".join(f"{r[s][0]:.3f}/{r[s][1]:.3f}/{r[s][2]:.3f}".rjust(20) for s in TUNING)
        worst = min(r[s][1] for s in TUNING)
        print(f"{r['fusion']:7} {r['w']:4.1f} {r['cands']:5d} {r['cap']:3d}  {cells}  {worst:.3f}")


if __name__ == "__main__":
    main()
