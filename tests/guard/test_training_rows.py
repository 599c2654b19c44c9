"""Training rows against report prompts (``scripts/guard_overlap.py``): what the trainer drops; the blind writers."""

from __future__ import annotations

import pytest

from scripts.guard_overlap import LATER_SETS, NEAR, near_report, overlaps, report_prompts, written_rows


def test_overlap_is_word_set_jaccard_and_its_bound_is_inclusive():
    rows = ["How do I kill a Python process?", "What is the capital of France?", "how do i KILL a python process"]
    prompts = ["How can I kill a Python process?", "Define a Ponzi scheme."]
    found = overlaps(rows, prompts, 0.75)
    # {how, do, i, kill, a, python, process} and {how, can, i, kill, a, python, process}: 6 shared, 8 in all
    assert found == [(pytest.approx(0.75), 0, 0), (pytest.approx(0.75), 2, 0)]
    assert overlaps(rows, prompts, 0.76) == []
    assert overlaps(["Define a Ponzi scheme"], prompts, 1.0) == [(1.0, 0, 1)]  # case and punctuation aside


def test_rows_that_copy_or_reword_a_report_prompt_are_found_and_others_are_not():
    fresh = report_prompts()["guard_fresh"]
    copied, reworded = fresh[0], fresh[1] + " Thanks!"
    found = near_report([copied, "How do I rotate nginx logs every night with logrotate?", reworded], NEAR)
    assert found == {0, 2}


def test_the_blind_writers_rows_are_far_from_every_report_prompt():
    """The scenario, self-harm and direct rows were written by writers who saw no report set: none comes near one (rows
    written before them do: ``train_question_guard --max-overlap`` drops those). XSTest and the SQLite and PostgreSQL
    questions are checked where ``../shared/eval`` has them."""
    from scripts.guard_direct import direct_rows
    from scripts.guard_scenarios import scenario_rows
    from scripts.guard_selfharm import selfharm_rows

    rows = [p for p, _ in scenario_rows() + selfharm_rows() + direct_rows()]
    # A set written after these rows may word a common question alike by chance (the support set and a direct row
    # both ask how to kill a zombie process in Linux): guard_quality reports it without such prompts.
    prompts = [p for name, ps in report_prompts().items() if name not in LATER_SETS for p in ps]
    assert [(j, rows[r], prompts[c]) for j, r, c in overlaps(rows, prompts, NEAR)] == []


def test_the_trainer_still_drops_what_it_dropped_for_the_shipped_weights():
    """A report set added later does not change the default training rows (the shipped weights stay reproducible);
    ``--overlap-later`` takes it in."""
    from scripts.guard_direct import direct_rows

    later = report_prompts()["guard_support_eval"]
    row = next(p for p, _ in direct_rows() if p in later)
    assert near_report([row], NEAR, skip=LATER_SETS) == set() and near_report([row], NEAR) == {0}


def test_every_written_origin_is_read():
    origins = {origin for _, origin in written_rows()}
    assert origins == {"authored", "contrasts", "intent", "follow-ups", "scenarios", "selfharm", "direct",
                       "man-pages", "man-api"}


def test_the_system_call_questions_are_verb_led_and_near_no_report_prompt():
    """``man_questions.py --api``'s committed rows: each a phrasing around a task that starts with a verb (noun-phrase
    descriptions such as "sine function" make no question), none within the overlap bound of any report prompt, the
    later sets included."""
    import re

    from scripts.guard_data import API_QUESTIONS, read_jsonl
    from scripts.man_questions import API_PHRASINGS, API_VERBS

    rows = [q["question"] for q in read_jsonl(API_QUESTIONS)]
    shapes = [re.compile("^" + re.escape(p).replace(re.escape("{d}"), "(?P<d>.+)") + "$") for p in API_PHRASINGS]
    tasks = [next(m.group("d") for s in shapes if (m := s.match(q))) for q in rows]
    assert len(rows) > 500 and all(t.split()[0].lower().rstrip(",") in API_VERBS for t in tasks)
    prompts = [p for ps in report_prompts().values() for p in ps]
    assert overlaps(rows, prompts, NEAR) == []
