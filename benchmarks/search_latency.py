"""Search latency per mode on an ingested collection: query embedding and Milvus search apart.

  python -m benchmarks.search_latency --uri bench.db --collection bench [--queries 200]

Build the collection first, e.g. `saferag ingest /usr/share/doc/python3.11/html/library
--uri bench.db --collection bench`. Questions cycle through a fixed list about the Python
library; every query is distinct (a counter is appended) so no cache can answer it.
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


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", required=True)
    ap.add_argument("--collection", default="bench")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()

    from saferag import SafeRag

    rag = SafeRag(milvus_uri=args.uri, collection=args.collection)
    store = rag.store
    print(f"collection {args.collection}: {store.count()} chunks; k={args.k}; {args.queries} queries per mode")
    for q in QUESTIONS[:4]:  # warm up model, index and caches
        rag.search(q, k=args.k)
    print(f"{'mode':7} {'embed p50':>9} {'search p50':>10} {'search p95':>10} "
          f"{'total p50':>9} {'total p95':>9} {'total p99':>9}  (ms)")
    for mode in ("dense", "bm25", "hybrid"):
        emb, srch, total = [], [], []
        for i in range(args.queries):
            q = f"{QUESTIONS[i % len(QUESTIONS)]} ({i})"
            t0 = time.perf_counter()
            vec = None if mode == "bm25" else rag.embedder.embed_query(q)
            t1 = time.perf_counter()
            store.search(vec, q, k=args.k, mode=mode)
            t2 = time.perf_counter()
            emb.append((t1 - t0) * 1000)
            srch.append((t2 - t1) * 1000)
            total.append((t2 - t0) * 1000)
        print(f"{mode:7} {statistics.median(emb):9.1f} {statistics.median(srch):10.1f} {pct(srch, 95):10.1f} "
              f"{statistics.median(total):9.1f} {pct(total, 95):9.1f} {pct(total, 99):9.1f}")


if __name__ == "__main__":
    main()
