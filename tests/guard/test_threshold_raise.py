"""The trainer's ``--raise-to``: the threshold goes up only as far as the hold-out's recall and the gate allow."""

from __future__ import annotations

import numpy as np
import pytest

from saferag.guard.embedded import QuestionModel, flagged
from scripts.guard_data import gate
from scripts.guard_holdout import HOLDOUT_UNSAFE
from scripts.train_question_guard import raised


@pytest.fixture(scope="module")
def scored():
    model = QuestionModel()  # the shipped question model, as a real scorer
    p, cats = model.score([q for q, _ in HOLDOUT_UNSAFE])
    return model, p, cats


@pytest.mark.parametrize("recall", [0.90, 0.93, 0.97])
def test_the_raise_stops_where_recall_or_the_gate_would_give(scored, recall):
    model, p, cats = scored
    start = 0.5
    cost = model.self_harm_miss_cost  # as the shipped weights record it
    got = raised(start, 0.95, recall, p, cats, model.codes, model.score, cost)

    def fine(t: float) -> bool:
        return flagged(p, cats, model.codes, t, cost).mean() >= recall and not gate(model.score, t, model.codes, cost)

    steps = [float(np.float32(s / 100)) for s in range(55, 96, 5)]  # as a threshold is stored
    assert got == max([start] + [t for t in steps if fine(t)])
    assert got == start or fine(got)
    assert all(not fine(t) for t in steps if t > got)


def test_no_raise_below_the_start(scored):
    model, p, cats = scored
    assert raised(0.96, 0.95, 0.0, p, cats, model.codes, model.score) == 0.96
