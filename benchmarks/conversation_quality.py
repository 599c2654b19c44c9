"""Follow-up questions: source hit@5 with the condensed query, against the last message alone, the turns joined,
and the same follow-up written out standalone by hand; and the condensing latency per turn.

  python -m benchmarks.conversation_quality [--corpora sqlite,postgres] [--option llm_model=...]

The set is ``benchmarks/data/conversations.jsonl``: 60 two- and three-turn conversations over the SQLite and
PostgreSQL manuals (collections of ``retrieval_quality.py``). The condensing prompt was tuned on the SQLite
conversations only; the PostgreSQL ones are reported as never tuned on. Earlier turns are answered by the
configured generator, as in a real chat, so each follow-up is condensed from a real conversation.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from benchmarks.retrieval_quality import SETS, parse_options

from saferag import SafeRag
from saferag.conversation import condense, fallback_query

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", default="sqlite,postgres")
    ap.add_argument("--uri", default=str(HERE / "eval_docs.db"))
    ap.add_argument("--option", action="append", default=[])
    ap.add_argument("-k", type=int, default=5)
    ap.add_argument("--show", action="store_true", help="print each follow-up's condensed query")
    args = ap.parse_args()
    options = {"guard": "off", "temperature": 0.0, "seed": 1, **parse_options(args.option)}
    conversations = [json.loads(line) for line in (HERE / "data" / "conversations.jsonl").read_text().splitlines()
                     if line.strip()]
    print(f"{'corpus':9} {'role':15} {'follow-ups':>10} {'last msg':>8} {'joined':>7} {'condensed':>9} "
          f"{'standalone':>10} {'first turns':>11} {'fallbacks':>9} {'condense p50':>12}")
    for corpus in args.corpora.split(","):
        folder, glob, _, _ = SETS[corpus]
        role = "tuned on" if corpus == "sqlite" else "never tuned on"
        hits = {"last": [], "joined": [], "condensed": [], "standalone": [], "first": []}
        seconds, fallbacks = [], 0
        with SafeRag(milvus_uri=args.uri, collection=f"{corpus}_docs", **options) as rag:
            rag.ingest([folder], glob=glob)

            def hit(query: str, source: str) -> bool:
                return any(h.source == source for h in rag.search(query, k=args.k))

            for conv in (c for c in conversations if c["corpus"] == corpus):
                messages = []
                for i, turn in enumerate(conv["turns"]):
                    messages.append({"role": "user", "content": turn["question"]})
                    if i == 0:
                        hits["first"].append(hit(turn["question"], turn["source"]))
                    else:
                        t0 = time.perf_counter()
                        condensed = condense(messages, rag.generator)
                        seconds.append(time.perf_counter() - t0)
                        fallbacks += condensed.method == "fallback"
                        hits["last"].append(hit(turn["question"], turn["source"]))
                        hits["joined"].append(hit(fallback_query(messages), turn["source"]))
                        hits["condensed"].append(hit(condensed.query, turn["source"]))
                        hits["standalone"].append(hit(turn["standalone"], turn["source"]))
                        if args.show:
                            print(f"    {condensed.method:9} {condensed.query!r}  <- {turn['question']!r}"
                                  + (f" [{condensed.reason}: {condensed.rewrite!r}]" if condensed.reason else ""))
                    if i < len(conv["turns"]) - 1:  # answer it, so the next turn follows a real conversation
                        answer = rag.chat(messages)
                        messages.append({"role": "assistant", "content": answer.answer})

        def rate(name: str, hits: dict[str, list[bool]] = hits) -> str:
            return f"{sum(hits[name]) / len(hits[name]):.3f}"

        print(f"{corpus:9} {role:15} {len(hits['last']):10d} {rate('last'):>8} {rate('joined'):>7} "
              f"{rate('condensed'):>9} {rate('standalone'):>10} {rate('first'):>11} {fallbacks:9d} "
              f"{statistics.median(seconds):11.2f}s", flush=True)


if __name__ == "__main__":
    main()
