"""Follow-up questions: source hit@5 of each way of searching for a follow-up, against the same follow-up
written out standalone by hand; and the condensing latency per turn.

  python -m benchmarks.conversation_quality [--corpora sqlite,postgres,git,node,apache,postfix]
      [--option llm_model=...]

The sets are ``benchmarks/data/conversations.jsonl`` (60 two- and three-turn conversations over the SQLite and
PostgreSQL manuals), ``conversations_git.jsonl`` (32 over the git manual pages, written apart and never tuned on),
``conversations_node.jsonl`` (32 over the Node.js 18 API pages, `apt install nodejs-doc`, written apart after the
follow-up search was chosen), ``conversations_apache.jsonl`` (32 over the Apache HTTP Server 2.4 manual, `apt
install apache2-doc`, written blind for rule C2) and ``conversations_postfix.jsonl`` (32 over the Postfix
documentation, `apt install postfix-doc`, written blind, scored first for rule C3); collections are those of
``retrieval_quality.py``. The condensing prompt and the choice of queries were tuned on the SQLite conversations
only. Earlier turns are answered by the configured generator, as in a real chat, so each follow-up is condensed from
a real conversation. The conversations, rewrites and timings are cached in ``--transcripts`` (delete it after
changing the generator or the condensing prompt), so that the ways of searching can be compared without generating
again.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.retrieval_quality import opened_sets, parse_options

from saferag import SafeRag
from saferag.conversation import (ANSWER_PREVIEW, Condensed, check_rewrite, clean_rewrite, condense, fallback_query,
                                  follow_up_search, keyword_queries)
from saferag.llm import sampling_from

HERE = Path(__file__).resolve().parent
SET_FILES = {"sqlite": "conversations.jsonl", "postgres": "conversations.jsonl", "git": "conversations_git.jsonl",
             "node": "conversations_node.jsonl", "apache": "conversations_apache.jsonl",
             "postfix": "conversations_postfix.jsonl"}
WAYS = ("last", "joined", "rewrite", "three", "condensed", "standalone")


def transcripts(rag: SafeRag, conversations: list[dict], cache: Path) -> list[dict]:
    """Each conversation with its assistant turns and, per follow-up, the condenser's output; cached."""
    # The condenser reads the first ANSWER_PREVIEW characters of an answer, which greedy decoding writes the
    # same whatever the token limit: answers are cut short here (a third of the time).
    params = replace(sampling_from(rag.settings), temperature=0.0, max_tokens=ANSWER_PREVIEW // 2)
    done = {}
    if cache.exists():
        done = {json.dumps(r["conversation"]): r for r in map(json.loads, cache.read_text().splitlines())}
    out = []
    for conv in conversations:
        key = json.dumps(conv)
        if key not in done:
            messages: list[dict] = []
            follow_ups = []
            for i, turn in enumerate(conv["turns"]):
                messages.append({"role": "user", "content": turn["question"]})
                if i:
                    t0 = time.perf_counter()
                    c = condense(messages, rag.generator)
                    follow_ups.append({"messages": list(messages), "query": c.query, "method": c.method,
                                       "rewrite": c.rewrite, "reason": c.reason,
                                       "seconds": time.perf_counter() - t0})
                if i < len(conv["turns"]) - 1:  # answer it, so the next turn follows a real conversation
                    messages.append({"role": "assistant", "content": rag.chat(messages, params=params).answer})
            done[key] = {"conversation": conv, "follow_ups": follow_ups}
            with cache.open("a") as f:
                f.write(json.dumps(done[key]) + "\n")
        out.append(done[key])
    return out


def rechecked(follow_up: dict) -> Condensed:
    """A cached follow-up's condensing, its generator output checked again by today's ``check_rewrite``, so a
    change to the checks is measured without generating again."""
    messages, raw = follow_up["messages"], follow_up["rewrite"]
    rewrite = clean_rewrite(raw)
    reason = check_rewrite(rewrite, messages)
    return Condensed(fallback_query(messages), "fallback", raw, reason) if reason else \
        Condensed(rewrite, "condensed", raw)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", default="sqlite,postgres,git,node,apache,postfix")
    ap.add_argument("--uri", default=str(HERE / "eval_docs.db"))
    ap.add_argument("--option", action="append", default=[])
    ap.add_argument("--transcripts", default=str(HERE / "conversation_transcripts.jsonl"))
    ap.add_argument("-k", type=int, default=5)
    ap.add_argument("--show", action="store_true", help="print each follow-up's queries and which found it")
    args = ap.parse_args()
    options = {"guard": "off", "temperature": 0.0, "seed": 1, **parse_options(args.option)}
    print(f"hit@{args.k} of each follow-up's source. last: the last message alone; joined: the recent user turns "
          "joined; rewrite: the generator's rewrite where it passed validation, else joined; three: rewrite, turns "
          "joined with the last answer's gist and the message, interleaved (until 2026-12-04); condensed: what "
          "saferag searches now (conversation.follow_up_search); standalone: written out by hand (the ceiling)")
    print(f"{'corpus':9} {'role':15} {'n':>3} " + " ".join(f"{w:>10}" for w in WAYS)
          + f" {'rejected':>8} {'condense p50':>12}")
    for corpus, _, _, rag in opened_sets(args.corpora, args.uri, options):
        role = "tuned on" if corpus == "sqlite" else "never tuned on"
        rows = [json.loads(line) for line in (HERE / "data" / SET_FILES[corpus]).read_text().splitlines()
                if line.strip()]
        hits: dict[str, list[bool]] = {w: [] for w in WAYS}
        rejected = 0
        done = transcripts(rag, [c for c in rows if c["corpus"] == corpus], Path(args.transcripts))

        for record in done:
            for turn, f in zip(record["conversation"]["turns"][1:], record["follow_ups"], strict=True):
                c = rechecked(f)
                rejected += c.method == "fallback"
                queries = {"last": [turn["question"]], "joined": [fallback_query(f["messages"])],
                           "rewrite": [c.query], "three": keyword_queries(c, f["messages"]),
                           "condensed": follow_up_search(c, f["messages"], rag.settings.search_mode),
                           "standalone": [turn["standalone"]]}
                for way in WAYS:
                    found = rag.search_all(queries[way], k=args.k)
                    hits[way].append(any(h.source == turn["source"] for h in found))
                if args.show:
                    print(f"    {c.method:9} {c.query!r} <- {turn['question']!r} "
                          + " ".join(w for w in WAYS if hits[w][-1]))
        seconds = [f["seconds"] for r in done for f in r["follow_ups"]]
        print(f"{corpus:9} {role:15} {len(hits['last']):3d} "
              + " ".join(f"{sum(hits[w]) / len(hits[w]):10.3f}" for w in WAYS)
              + f" {rejected:8d} {statistics.median(seconds):11.2f}s", flush=True)


if __name__ == "__main__":
    main()
