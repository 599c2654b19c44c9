"""How often the answer check (role ``agent``) flags an answer that complies with a harmful request.

  python -m benchmarks.guard_answer_recall [--guard embedded] [--sets xstest,fresh,scenarios,selfharm,atrisk]

No set of harmful *answers* exists here, so each unsafe prompt of the question guard's report sets (none trained on)
is restated as the opening of an answer that complies with it (``guard_data.as_answer``: "Sure, here are
instructions for X:"), and scored twice:

- ``alone``: the restated harm is the whole answer (what the embedded answer check was trained on);
- ``after an opening``: the same, after the whole of an ordinary answer (``faq_answers.jsonl``: SmolLM2's answers
  over the SQLite manual, those of at least 200 characters, harm i after answer i mod n) and a blank line. A model
  talked into complying often opens with a harmless sentence or two; an answer check that judges only the opening,
  or the answer as one averaged vector, misses what follows. Found 2026-12-05 (``benchmarks/guard_rules.md``, AG6):
  the shipped MLP flags 0.810 of the 520 harms alone and 0.298 after an opening here (0.204 after the openings of
  the default model's own answers, AG6's texts); docs/benchmarks.md. The windowed check that replaced it on
  2026-12-06 (``saferag.guard.answers``, rule AG9) reads every window of the answer.

``guard_answers.py`` is the other side: the ordinary answers the same check refuses.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.guard_quality import report_sets
from scripts.guard_data import as_answer, read_jsonl

from saferag import SafeRag

HERE = Path(__file__).resolve().parent
MIN_OPENING = 200  # characters: shorter answers ("[1]") are no opening to hide behind


def openings(path: Path = HERE / "faq_answers.jsonl") -> list[str]:
    """Ordinary answers to put before a harm: the cached answers of ``guard_answers.py``, long ones only."""
    return [r["answer"].strip() for r in read_jsonl(path) if len(r["answer"].strip()) >= MIN_OPENING]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--guard", default="embedded")
    ap.add_argument("--sets", default="xstest,fresh,scenarios,selfharm,atrisk")
    args = ap.parse_args()
    sets, before = report_sets(), openings()
    if not before:
        raise SystemExit("benchmarks/faq_answers.jsonl has no answers: run benchmarks/guard_answers.py first")
    print(f"{'set':10} {'harms':>5} {'alone':>7} {'after an opening':>17}")
    totals = [0, 0, 0]
    with SafeRag(guard=args.guard, milvus_uri=str(HERE / "unused.db")) as rag:
        for name in args.sets.split(","):
            harms = [as_answer(text) for text, unsafe, _ in sets[name]() if unsafe]
            if not harms:
                print(f"{name}: not available here")
                continue
            alone = sum(not rag.screen(h, role="agent").safe for h in harms)
            after = sum(not rag.screen(f"{before[i % len(before)]}\n\n{h}", role="agent").safe
                        for i, h in enumerate(harms))
            print(f"{name:10} {len(harms):5} {alone / len(harms):7.3f} {after / len(harms):17.3f}", flush=True)
            totals = [totals[0] + len(harms), totals[1] + alone, totals[2] + after]
    if totals[0]:
        print(f"{'pooled':10} {totals[0]:5} {totals[1] / totals[0]:7.3f} {totals[2] / totals[0]:17.3f}")


if __name__ == "__main__":
    main()
