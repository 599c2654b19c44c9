"""Answer quality on every development set: key rate, valid citations, refusals and latency (`eval answers`).

  python -m benchmarks.answer_quality [--sets sqlite,postgres] [--option llm_model=/path/model.gguf ...]

The sets are those of ``retrieval_quality.py`` (same corpora and collections), with answer keys:

- ``sqlite``: ``benchmarks/data/sqlite_qa_keys.jsonl`` (the 25 SQLite questions with keys written for them);
- ``postgres``: ``../shared/eval/postgres_qa.jsonl`` (50, keys included);
- ``git``: ``benchmarks/data/git_qa.jsonl`` (91): never used to choose a prompt or a model; report only;
- ``node`` and ``apache``: the conversation sets' turns written out standalone (88 and 80), with their keys; never
  used to choose anything.

``--option`` sets any saferag setting for the run (a model path, ``top_k``, ``guard=off``...), so candidates are
compared on the same retrieval. ``--save FILE`` writes every answer as JSON lines, to read them afterwards.

Answers are generated with the guard off (``guard=off`` unless ``--option`` says otherwise), so generation is
measured alone; the ``ans-chk`` column counts the answers the default guard's answer check (role ``agent``, with
the question) would then refuse: in the pipeline the user would see a refusal for each. The MiniLM check shipped
until 2026-12-06 refused 18 of the default model's 482 answers over the seven first sets (CMake 8 of 80;
``benchmarks/guard_rules.md``, AG2); the windowed check that replaced it refuses 12 of them, and 1 of 60 on each of
the blind Knot DNS and rsyslog sets that judged it (AG9). ``mid``: the share of answers that open inside a sentence
(a passage copied from mid-sentence; ``echo.opens_mid_sentence``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.retrieval_quality import opened_sets, parse_options, questions

from saferag import SafeRag
from saferag.evaluate import evaluate_answers

HERE = Path(__file__).resolve().parent
KEYS = {"sqlite": HERE / "data" / "sqlite_qa_keys.jsonl"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="sqlite,postgres")
    ap.add_argument("--uri", default=str(HERE / "eval_docs.db"))
    ap.add_argument("--option", action="append", default=[], help="a setting for this run, key=value")
    ap.add_argument("--limit", type=int, default=0, help="only the first N questions of each set")
    ap.add_argument("--save", default="", help="write each answer as a JSON line here")
    args = ap.parse_args()
    options = {"guard": "off", "temperature": 0.0, "seed": 1, **parse_options(args.option)}
    saved = open(args.save, "w", encoding="utf-8") if args.save else None  # noqa: SIM115

    print(f"options: {options}")
    print(f"{'set':9} {'role':15} {'n':>3} {'src@k':>6} {'keys':>6} {'refused':>7} {'cites':>6} {'valid':>6} "
          f"{'p50 s':>6} {'p95 s':>6} {'gen p50':>7} {'ans-chk':>7} {'mid':>6}")
    # The default guard; its store is never opened (screening needs none), so the file is never made.
    with SafeRag(milvus_uri=str(HERE / "unused.db")) as checker:
        for name, role, qa, rag in opened_sets(args.sets, args.uri, options):
            items = questions(KEYS.get(name, qa), keys=True)
            if args.limit:
                items = items[:args.limit]
            shown: list[tuple[str, str]] = []  # (question, answer) of each answer that was not refused

            def save(item, answer, name=name, shown=shown):
                if not answer.refused:
                    shown.append((item["question"], answer.answer))
                if saved:
                    saved.write(json.dumps({"set": name, **item, "answer": answer.answer, "notes": answer.notes,
                                            "refused": answer.refused,
                                            "sources": [s["link"] for s in answer.sources]}) + "\n")
                    saved.flush()

            r = evaluate_answers(rag, items, on_answer=save)
            checked = sum(not checker.screen(a, role="agent", question=q).safe for q, a in shown)
            print(f"{name:9} {role:15} {r['n']:3d} {r['source_hit']:6.3f} {r['key_rate']:6.3f} {r['refused']:7d} "
                  f"{r['cites'] or 0:6.3f} {r['citations_valid'] or 0:6.3f} {r['latency_s']['p50']:6.2f} "
                  f"{r['latency_s']['p95']:6.2f} {r['generation_s']['p50']:7.2f} {checked:7d} "
                  f"{r['mid_sentence'] or 0:6.3f}", flush=True)


if __name__ == "__main__":
    main()
