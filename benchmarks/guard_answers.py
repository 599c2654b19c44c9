"""How often the embedded guard refuses ordinary answers: real answers to real documentation questions.

  python -m benchmarks.guard_answers [--docs /usr/share/doc/sqlite3] [--answers benchmarks/faq_answers.jsonl]

The questions of ``guard_doc_questions.py`` (Debian's FAQs and ``sqlite_qa.jsonl``, 377 in all) are asked of
the SQLite manual (Debian ``sqlite3-doc``) with the embedded llama.cpp model and the guard off (answers to
the other FAQs' questions are not grounded, but they are the ordinary text the model writes); each answer
is then scored by the embedded guard in the ``agent`` role, as ``saferag ask`` screens it. Every flag is a
false refusal the user would have seen. The answers are cached in ``--answers`` (about 3 s an answer on 2
cores), so that rerunning after a new guard is trained only rescores them, and a stopped run resumes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.guard_doc_questions import INSPECTED, UNSEEN, questions
from scripts.guard_data import read_jsonl

from saferag import SafeRag


def main() -> None:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", default="/usr/share/doc/sqlite3")
    ap.add_argument("--uri", default=str(here / "sqlite_docs.db"))
    ap.add_argument("--answers", default=str(here / "faq_answers.jsonl"))
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--max-new", type=int, default=1000, help="answers to generate in this run, at most")
    args = ap.parse_args()

    cache = Path(args.answers)
    with SafeRag(milvus_uri=args.uri, collection="sqlite_docs", temperature=0.0, seed=1,
                 max_tokens=args.max_tokens, top_k=3) as rag:
        on = rag.settings
        done = {r["question"] for r in read_jsonl(cache)}
        todo = [(source, q) for group in (INSPECTED, UNSEEN) for source, qs in questions(group).items() for q in qs
                if q not in done][: max(0, args.max_new)]
        if todo:  # generate what the cache lacks; an interrupted run resumes where it stopped
            rag.settings = on.model_copy(update={"guard": "off", "injection_screen": "off"})
            rag.ingest([args.docs])
            with cache.open("a") as out:
                for source, q in todo:
                    out.write(json.dumps({"source": source, "question": q, "answer": rag.ask(q).answer}) + "\n")
                    out.flush()
        rows = read_jsonl(cache)  # a line cut short by an interrupted run is left out (and asked again)
        rag.settings = on
        verdicts = [rag.screen(r["answer"], role="agent", question=r["question"]) for r in rows]
    flagged = [(r, v) for r, v in zip(rows, verdicts, strict=True) if not v.safe]
    print(f"answers: {len(rows)}, refused by the agent check: {len(flagged)} ({len(flagged) / len(rows):.1%})")
    for name, group in (("inspected FAQs", INSPECTED), ("unseen FAQs", UNSEEN)):
        n = sum(r["source"] in group for r in rows)
        bad = sum(r["source"] in group for r, _ in flagged)
        print(f"  {name}: {bad}/{n} ({bad / max(n, 1):.1%})")
    for r, v in flagged:
        print(f"  {v.raw} {[c.code for c in v.categories]} {r['question']!r}: {r['answer'][:100]!r}")


if __name__ == "__main__":
    main()
