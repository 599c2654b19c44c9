"""Retrieval quality on the SQLite documentation: hit@1, hit@k and MRR for each search mode.

  python benchmarks/retrieval_quality.py [--docs /usr/share/doc/sqlite3] [--qa ../shared/eval/sqlite_qa.jsonl]

Ingests the docs (Debian `sqlite3-doc`) into a Milvus Lite file (re-runs skip unchanged pages)
and evaluates every mode over the same questions.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from saferag import SafeRag
from saferag.evaluate import evaluate_retrieval, load_qa


def main() -> None:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", default="/usr/share/doc/sqlite3")
    ap.add_argument("--qa", default=str(here.parent.parent / "shared" / "eval" / "sqlite_qa.jsonl"))
    ap.add_argument("--uri", default=str(here / "sqlite_docs.db"))
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()

    with SafeRag(milvus_uri=args.uri, collection="sqlite_docs") as rag:
        report = rag.ingest([args.docs])
        print(f"ingested {report.documents} documents ({report.chunks_written} chunks written, "
              f"{report.unchanged} unchanged) in {report.seconds:.0f}s")
        items = load_qa(args.qa)
        print(f"{'mode':7} {'n':>3} {'hit@1':>6} {f'hit@{args.k}':>6} {'MRR':>6}")
        for mode in ("hybrid", "dense", "bm25"):
            r = evaluate_retrieval(rag, items, k=args.k, mode=mode)
            print(f"{mode:7} {r['n']:3d} {r['hit@1']:6.3f} {r[f'hit@{args.k}']:6.3f} {r['mrr']:6.3f}")
            for q in r["misses"]:
                print(f"        miss: {q}")


if __name__ == "__main__":
    main()
