"""Search latency per mode on an ingested collection, through ``SafeRag.search``; query embedding apart.

  python -m benchmarks.search_latency --uri bench.db --collection bench [--queries 200]

Build the collection first, e.g. `saferag ingest /usr/share/doc/python3.11/html/library
--uri bench.db --collection bench`. Questions cycle through a fixed list about the Python
library; every query is distinct (a counter is appended) so no cache can answer it.
"hybrid, embedded first" is the order hybrid search had before the BM25 leg was sent ahead of the embedding.
"""

from __future__ import annotations

import argparse
import statistics
import time

QUESTIONS = [
    "How do I read a CSV file into a list of dictionaries?",
    "How can I run a shell command and capture its output?",
    "How do I parse command-line options with help messages?",
    "How do I format a date as year-month-day?",
    "How can I make an HTTP request with the standard library?",
    "How do I serialize an object to JSON with indentation?",
    "How do I run functions concurrently in a thread pool?",
    "How do I match a pattern with regular expressions and extract groups?",
    "How can I write log messages to a file with timestamps?",
    "How do I create a temporary directory that is removed afterwards?",
    "How do I compare two sequences and show their differences?",
    "How do I compute a hash digest of a file?",
    "How do I sort a list of objects by an attribute?",
    "How can I measure how long a small snippet takes to run?",
    "How do I open a SQLite database and run a query?",
    "How do I define an enumeration of named constants?",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", required=True)
    ap.add_argument("--collection", default="bench")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()

    from saferag import SafeRag
    from saferag.evaluate import percentile
    from saferag.retrieval import Fusion, diversify

    rag = SafeRag(milvus_uri=args.uri, collection=args.collection)
    s = rag.settings
    print(f"collection {args.collection}: {rag.store.count()} chunks; k={args.k}; {args.queries} queries per mode; "
          f"{s.hybrid_candidates} candidates per hybrid leg, at most {s.max_per_source} per source")

    def embedded_first(q: str) -> None:
        """Hybrid search as it ran before 2026-12-02: the query embedded before either leg is sent."""
        fusion = Fusion(kind=s.fusion, dense_weight=s.dense_weight, rrf_k=s.rrf_k, candidates=s.hybrid_candidates)
        hits = rag.store.search(rag.embedder.embed_query(q), q, k=max(args.k, s.hybrid_candidates),
                                mode="hybrid", fusion=fusion)
        diversify(hits, args.k, s.max_per_source)

    runs = {mode: (lambda q, mode=mode: rag.search(q, k=args.k, mode=mode)) for mode in ("dense", "bm25", "hybrid")}
    runs["hybrid, embedded first"] = embedded_first
    for q in QUESTIONS[:4]:  # warm up model, index and caches
        for run in runs.values():
            run(q)
    embed, total = [], {name: [] for name in runs}
    names = list(runs)
    for i in range(args.queries):  # the modes take turns, in a rotating order, so drift hits them alike
        q = f"{QUESTIONS[i % len(QUESTIONS)]} ({i})"
        t0 = time.perf_counter()
        rag.embedder.embed_query(q + " ")
        embed.append((time.perf_counter() - t0) * 1000)
        for name in names[i % len(names):] + names[:i % len(names)]:
            t0 = time.perf_counter()
            runs[name](q)
            total[name].append((time.perf_counter() - t0) * 1000)
    print(f"query embedding alone: p50 {statistics.median(embed):.1f} ms")
    print(f"{'mode':24} {'total p50':>9} {'total p95':>9} {'total p99':>9}  (ms, SafeRag.search)")
    for name, values in total.items():
        p95, p99 = percentile(values, 0.95), percentile(values, 0.99)
        print(f"{name:24} {statistics.median(values):9.1f} {p95:9.1f} {p99:9.1f}")


if __name__ == "__main__":
    main()
