"""Retrieval over one collection that mixes corpora, as a team keeping several products' manuals together has it.

  python -m benchmarks.mixed_retrieval [--sets django,sqlalchemy,knot,bind,kea,rsyslog] [--uri FILE] [--root DIR]

Every named set of ``retrieval_quality`` is copied under ``ROOT/<sets>/<set>/`` (what its own run would ingest) and all
are ingested into one collection; each set's questions are then asked of it, and a hit counts only the right
page of the right corpus (``<set>/<page>``). Next to ``retrieval_quality``'s one collection per corpus, it shows
what a corpus's name in its pages' titles (or its absence) does where other corpora's pages compete: Django's
and SQLAlchemy's ORMs, Knot's, BIND's and Kea's DNS and DHCP servers.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from benchmarks.retrieval_quality import HERE, SETS, installed, questions
from saferag import SafeRag
from saferag.evaluate import evaluate_retrieval
from saferag.ingest.sources import discover

DEFAULT_SETS = "django,sqlalchemy,knot,bind,kea,rsyslog"


def copy_corpora(names: list[str], root: Path) -> list[str]:
    """Copy each installed set's files (as its own run discovers them) under ``root/<set>/``; the names copied."""
    copied = []
    for name in names:
        folder, glob, _, _ = SETS[name]
        if not installed(name, folder):
            continue
        for ref in discover([folder], glob).refs:
            target = root / name / ref.source
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(ref.location, target)
        copied.append(name)
    return copied


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default=DEFAULT_SETS)
    ap.add_argument("--uri", default=str(HERE / "eval_docs.db"))
    ap.add_argument("--root", default="/tmp/saferag-mixed", help="where the corpora are copied")
    ap.add_argument("--modes", default="hybrid,dense,bm25")
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()
    names = args.sets.split(",")
    root = Path(args.root) / "+".join(sorted(names))  # only these corpora: its pages are the collection's
    names = copy_corpora(names, root)
    if not names:
        raise SystemExit("none of the sets is installed: nothing to mix")

    with SafeRag(milvus_uri=args.uri, collection="mixed_" + "_".join(sorted(names)), guard="off") as rag:
        report = rag.ingest([str(root)])  # sources read "<set>/<page>"
        print(f"# mixed collection: {', '.join(names)}; {report.documents} documents, {report.chunks_written} "
              f"chunks written in {report.seconds:.0f}s", flush=True)
        print(f"{'set':10} {'mode':7} {'n':>4} {'hit@1':>6} {f'hit@{args.k}':>6} {'MRR':>6}")
        for mode in args.modes.split(","):
            total = {"n": 0, "hit@1": 0.0, f"hit@{args.k}": 0.0, "mrr": 0.0}
            for name in names:
                items = [{**q, "source": f"{name}/{q['source']}"} for q in questions(SETS[name][2])]
                r = evaluate_retrieval(rag, items, k=args.k, mode=mode)
                print(f"{name:10} {mode:7} {r['n']:4d} {r['hit@1']:6.3f} {r[f'hit@{args.k}']:6.3f} {r['mrr']:6.3f}",
                      flush=True)
                for key in total:
                    total[key] += r[key] * (r["n"] if key != "n" else 1)
            n = total["n"]
            print(f"{'pooled':10} {mode:7} {n:4d} {total['hit@1'] / n:6.3f} {total[f'hit@{args.k}'] / n:6.3f} "
                  f"{total['mrr'] / n:6.3f}", flush=True)


if __name__ == "__main__":
    main()
