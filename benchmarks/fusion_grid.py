"""Hybrid fusion settings scored on collections that already exist: each set's collection is opened once (never
ingested, so the chunks are exactly those another run made) and every setting is searched for real through
``SafeRag.search``, so the cap, copies collapsing and sections act as they do in use.

  python -m benchmarks.fusion_grid --set sqlite=URI:sqlite_docs:PATH [--set ...] [--grid choose | --config ...]

``--set name=uri:collection:questions`` names a collection and its questions: a ``retrieval_quality`` set's name,
a ``benchmarks/data`` file name or a path. ``--config fusion,dense_weight,rrf_k`` (repeatable) scores given
settings, ``--grid choose`` the grid of rule F2 (``benchmarks/retrieval_rules.md``). Prints hit@1 / hit@5 / MRR of
hybrid search per set and setting, and pooled over the sets; ``--dense`` adds the dense leg alone.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from benchmarks.retrieval_quality import SETS, questions
from saferag import SafeRag
from saferag.evaluate import evaluate_retrieval

HERE = Path(__file__).resolve().parent
SHIPPED = ("rrf", 0.9, 60)
#: Rule F2's choosing grid: weighted RRF over dense weights and rank constants, and the convex fusion.
CHOOSE = [SHIPPED, *(("rrf", w, k) for w, k in itertools.product((0.8, 0.85, 0.9, 0.95, 1.0), (10, 30, 60))
                     if (w, k) != (0.9, 60)),
          *(("convex", w, 60) for w in (0.7, 0.8, 0.9, 0.95))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", action="append", required=True, help="name=uri:collection:questions")
    ap.add_argument("--config", action="append", default=[], help="fusion,dense_weight,rrf_k")
    ap.add_argument("--grid", choices=["choose"], default=None)
    ap.add_argument("--dense", action="store_true", help="also score the dense leg alone")
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()
    configs = CHOOSE if args.grid == "choose" else [SHIPPED]
    configs = configs + [(f, float(w), int(k)) for f, w, k in (c.split(",") for c in args.config)]
    pooled = {c: [0.0, 0.0, 0.0, 0.0] for c in configs}  # hit@1, hit@k and MRR summed over questions; questions
    dense = [0.0, 0.0, 0.0, 0.0]

    def add(sums: list[float], r: dict) -> None:
        for i, key in enumerate(("hit@1", f"hit@{args.k}", "mrr")):
            sums[i] += r[key] * r["n"]
        sums[3] += r["n"]

    print(f"{'set':10} {'fusion':7} {'w':>5} {'k':>3} {'n':>4} {'hit@1':>6} {f'hit@{args.k}':>6} {'MRR':>6}")
    for spec in args.set:
        name, _, rest = spec.partition("=")
        uri, collection, qa = rest.rsplit(":", 2)
        path = SETS[qa][2] if qa in SETS else Path(qa) if Path(qa).is_file() else HERE / "data" / qa
        items = questions(Path(path))
        with SafeRag(milvus_uri=uri, collection=collection, guard="off") as rag:
            if args.dense:
                r = evaluate_retrieval(rag, items, k=args.k, mode="dense")
                print(f"{name:10} {'dense':7} {'':5} {'':3} {r['n']:4d} {r['hit@1']:6.3f} "
                      f"{r[f'hit@{args.k}']:6.3f} {r['mrr']:6.3f}", flush=True)
                add(dense, r)
            base = rag.settings
            for c in configs:
                fusion, weight, rrf_k = c
                rag.settings = base.model_copy(update={"fusion": fusion, "dense_weight": weight, "rrf_k": rrf_k})
                r = evaluate_retrieval(rag, items, k=args.k, mode="hybrid")
                add(pooled[c], r)
                print(f"{name:10} {fusion:7} {weight:5.2f} {rrf_k:3d} {r['n']:4d} {r['hit@1']:6.3f} "
                      f"{r[f'hit@{args.k}']:6.3f} {r['mrr']:6.3f}", flush=True)
    rows = [(("dense", 0.0, 0), dense)] if args.dense else []
    for c, (h1, h5, mrr, n) in [*rows, *pooled.items()]:
        print(f"{'pooled':10} {c[0]:7} {c[1]:5.2f} {c[2]:3d} {int(n):4d} {h1 / n:6.3f} {h5 / n:6.3f} {mrr / n:6.3f}")


if __name__ == "__main__":
    main()
