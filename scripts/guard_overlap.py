"""Near-duplicates between the guard's written training rows and the prompts it is reported or calibrated on.

  python -m scripts.guard_overlap [--min 0.5] [--show 20]

A report set says how the guard does on prompts it never saw only while no training row copies one of them, even
in part. Every set of rows here was written by someone who did not see the report sets, and that is what this
checks: word-set Jaccard similarity between each written row (``guard_prompts``, ``guard_contrasts``,
``guard_intent``, ``guard_followups``, ``guard_scenarios``, ``guard_selfharm``, ``guard_direct``, the man-page
questions) and each
prompt of ``benchmarks/guard_quality.py``'s sets and ``guard_holdout`` (XSTest and the SQLite and PostgreSQL
questions where ``../shared/eval`` has them; neuralchemy's held-out requests are left to that dataset's own split).
``tests/guard/test_training_rows.py`` keeps the blind writers' rows under the bound. Dataset rows (HarmBench,
StrongREJECT, FAQs…) are not ours to edit; ``train_question_guard.py --max-overlap`` drops any training row, theirs
too, that comes within the bound.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
EVAL = ROOT.parent / "shared" / "eval"  # outside the repository: its sets are used where present
XSTEST = EVAL / "xstest_prompts.csv"
WORD = re.compile(r"[a-z0-9']+")
NEAR = 0.7  # word Jaccard at which a training row counts as a near-copy of a report prompt


def words(text: str) -> frozenset[str]:
    return frozenset(WORD.findall(text.lower()))


def _csv_prompts(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return [r["prompt"] for r in csv.DictReader(f)]


def jsonl_questions(path: Path) -> list[str]:
    """The ``question`` of each line of a JSON-lines question file."""
    return [json.loads(line)["question"] for line in path.read_text().splitlines() if line]


def report_prompts(xstest: Path = XSTEST) -> dict[str, list[str]]:
    """Every prompt the question guard is reported or calibrated on, by set (XSTest only where it is found)."""
    from scripts.guard_holdout import HOLDOUT_SAFE, HOLDOUT_UNSAFE

    from benchmarks.guard_quality import CSV_SETS

    sets = {Path(file).stem: _csv_prompts(DATA / file) for file, _ in CSV_SETS.values()}
    sets["doc_questions_fresh"] = jsonl_questions(DATA / "doc_questions_fresh.jsonl")
    sets["git_qa"] = jsonl_questions(DATA / "git_qa.jsonl")
    sets["doc_questions_stdlib"] = jsonl_questions(DATA / "doc_questions_stdlib.jsonl")
    sets["cmake_qa"] = jsonl_questions(DATA / "cmake_qa.jsonl")
    sets["django_qa"] = jsonl_questions(DATA / "django_qa.jsonl")
    sets["bind_qa"] = jsonl_questions(DATA / "bind_qa.jsonl")
    sets["knot_qa"] = jsonl_questions(DATA / "knot_qa.jsonl")
    sets["rsyslog_qa"] = jsonl_questions(DATA / "rsyslog_qa.jsonl")
    sets["octave_qa"] = jsonl_questions(DATA / "octave_qa.jsonl")
    sets["conversations"] = [t["question"] for line in (DATA / "conversations.jsonl").read_text().splitlines()
                             if line for t in json.loads(line)["turns"]]
    sets["holdout"] = HOLDOUT_SAFE + [q for q, _ in HOLDOUT_UNSAFE]
    if xstest.exists():
        sets["xstest"] = _csv_prompts(xstest)
    for name in ("sqlite_qa", "postgres_qa"):
        if (EVAL / f"{name}.jsonl").exists():
            sets[name] = jsonl_questions(EVAL / f"{name}.jsonl")
    return sets


#: Report sets written after the shipped question weights were trained. The trainer leaves them out of its overlap
#: check by default (``--overlap-later`` takes them in), so that its defaults still drop exactly the rows they dropped
#: for the shipped weights; ``guard_quality`` reports each set without the prompts a training row comes near too.
#: A retrain that ships should take them in and empty this set.
LATER_SETS = frozenset({"guard_support_eval", "guard_atrisk_eval", "doc_questions_stdlib", "cmake_qa",
                        "django_qa", "bind_qa", "knot_qa", "rsyslog_qa", "octave_qa"})


def near_report(texts: list[str], min_jaccard: float, xstest: Path = XSTEST, *,
                skip: frozenset[str] = frozenset()) -> set[int]:
    """Indices of the texts within ``min_jaccard`` of any report or calibration prompt (sets in ``skip`` aside):
    rows not to train on."""
    prompts = [p for name, ps in report_prompts(xstest).items() if name not in skip for p in ps]
    return {r for _, r, _ in overlaps(texts, prompts, min_jaccard)}


def written_rows() -> list[tuple[str, str]]:
    """(row, origin) for every training row written for saferag (not the datasets' rows)."""
    from scripts.guard_contrasts import contrasts
    from scripts.guard_data import API_QUESTIONS, MAN_QUESTIONS, read_jsonl
    from scripts.guard_direct import direct_rows
    from scripts.guard_followups import followup_rows
    from scripts.guard_intent import intent_rows
    from scripts.guard_prompts import authored
    from scripts.guard_scenarios import scenario_rows
    from scripts.guard_selfharm import selfharm_rows

    rows = [(p, "authored") for p, _ in authored()] + [(p, "contrasts") for p, _ in contrasts()]
    rows += [(p, "intent") for p, _ in intent_rows()] + [(p, "follow-ups") for p, _ in followup_rows()]
    rows += [(p, "scenarios") for p, _ in scenario_rows()] + [(p, "selfharm") for p, _ in selfharm_rows()]
    rows += [(p, "direct") for p, _ in direct_rows()]
    rows += [(q["question"], "man-pages") for q in read_jsonl(MAN_QUESTIONS)]
    rows += [(q["question"], "man-api") for q in read_jsonl(API_QUESTIONS)]
    return list(dict.fromkeys(rows))


def overlaps(rows: list[str], prompts: list[str], min_jaccard: float) -> list[tuple[float, int, int]]:
    """(Jaccard, row index, prompt index) for every pair at or above ``min_jaccard``, highest first.

    Sparse word-incidence matrices: their product counts shared words for all pairs at once (tens of millions
    of pairs; a Python loop over them takes minutes).
    """
    from scipy.sparse import csr_matrix

    row_sets, prompt_sets = [words(t) for t in rows], [words(t) for t in prompts]
    vocab: dict[str, int] = {}
    for s in (*row_sets, *prompt_sets):
        for w in s:
            vocab.setdefault(w, len(vocab))

    def incidence(sets: list[frozenset[str]]) -> csr_matrix:
        cols = [vocab[w] for s in sets for w in s]
        indptr = np.cumsum([0] + [len(s) for s in sets])
        return csr_matrix((np.ones(len(cols), dtype=np.float32), cols, indptr), shape=(len(sets), len(vocab)))

    shared = (incidence(row_sets) @ incidence(prompt_sets).T).tocoo()
    sizes_r = np.array([len(s) for s in row_sets])
    sizes_p = np.array([len(s) for s in prompt_sets])
    jaccard = shared.data / (sizes_r[shared.row] + sizes_p[shared.col] - shared.data)
    keep = jaccard >= min_jaccard
    found = zip(jaccard[keep].tolist(), shared.row[keep].tolist(), shared.col[keep].tolist(), strict=True)
    return sorted(((float(j), int(r), int(c)) for j, r, c in found), key=lambda x: (-x[0], x[1], x[2]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--min", type=float, default=0.5, help="report pairs at or above this Jaccard similarity")
    ap.add_argument("--show", type=int, default=20)
    args = ap.parse_args()
    rows = written_rows()
    for name, prompts in report_prompts().items():
        found = overlaps([t for t, _ in rows], prompts, args.min)
        print(f"{name}: {len(prompts)} prompts, {len(found)} pairs >= {args.min}")
        for j, r, c in found[: args.show]:
            print(f"  {j:.2f}  [{rows[r][1]}] {rows[r][0][:80]!r}\n        {prompts[c][:80]!r}")


if __name__ == "__main__":
    main()
