"""Write the answers the embedded model gives to Python's and Perl's FAQ questions: benign answer rows for
``train_answer_guard.py``, shaped like what ``saferag ask`` really shows.

  apt install python3.11-doc perl-doc
  python -m scripts.generate_model_answers [--out scripts/data/model_answers.jsonl] [--max-new 300]

The answer check was trained on answer *openings* written from templates and on documentation prose; the
packaged SmolLM2 writes neither: it echoes its prompt ("Question: ... Answer in one or two sentences,
citing the source number like [1]."), cites bare numbers, drifts. Those echoes were most of the answer
check's false refusals (``benchmarks/guard_answers.py``). This asks the FAQ questions that are already safe
training rows (``guard_data``) of the FAQ pages they come from (Python's FAQ and HOWTOs, perlfaq1-9),
ingested into a scratch Milvus Lite file, with the settings that benchmark uses and the guard off, and
appends each answer to ``--out`` (one JSON object a line; a stopped run resumes). Questions are taken in a
seeded random order, so a capped run is a fair sample. The benchmark's questions (Debian's other FAQs over
the SQLite manual) stay unseen. About 3 s an answer on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
from pathlib import Path

from scripts.guard_data import (
    MODEL_ANSWERS,
    PERL_FAQ,
    PYTHON_FAQ,
    pod_file_text,
    perl_faq_questions,
    python_faq_questions,
    read_jsonl,
)

from saferag import SafeRag


def faq_corpus(into: Path) -> Path:
    """The FAQ pages the questions come from: Python's as HTML, perlfaq's POD as plain text."""
    into.mkdir(parents=True, exist_ok=True)
    for page in [*PYTHON_FAQ.glob("faq/*.html"), *PYTHON_FAQ.glob("howto/*.html")]:
        shutil.copy(page, into / f"python-{page.parent.name}-{page.name}")
    for pod in PERL_FAQ.glob("perlfaq[1-9].pod"):
        (into / f"{pod.stem}.txt").write_text(pod_file_text(pod))
    return into


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(MODEL_ANSWERS))
    ap.add_argument("--max-new", type=int, default=1000, help="answers to generate in this run, at most")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    todo = [(q, "python-faq") for q in python_faq_questions()] + [(q, "perl-faq") for q in perl_faq_questions()]
    random.Random(args.seed).shuffle(todo)
    done = {r["question"] for r in read_jsonl(out)}
    todo = [t for t in todo if t[0] not in done][: max(0, args.max_new)]
    if not todo:
        print(f"{out}: nothing left to generate")
        return
    with tempfile.TemporaryDirectory() as scratch:
        corpus = faq_corpus(Path(scratch, "faq").resolve())
        with SafeRag(milvus_uri=str(Path(scratch, "faq.db")), collection="faq", guard="off", injection_screen="off",
                     temperature=0.0, seed=1, max_tokens=args.max_tokens, top_k=3) as rag, out.open("a") as sink:
            rag.ingest([corpus])
            for i, (question, origin) in enumerate(todo, 1):
                sink.write(json.dumps({"origin": origin, "question": question, "answer": rag.ask(question).answer})
                           + "\n")
                sink.flush()
                if i % 25 == 0:
                    print(f"{i}/{len(todo)}", flush=True)


if __name__ == "__main__":
    main()
