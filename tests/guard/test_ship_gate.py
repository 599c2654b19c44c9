"""The rules that decide which guard weights ship: the threshold rule and the gate (``scripts/guard_data.py``)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from saferag.guard.embedded import flagged, self_harm_threshold
from scripts.guard_data import MUST_FLAG, MUST_PASS, gate, threshold_at, threshold_for_recall

CODES = [f"S{i}" for i in range(1, 15)]
HARMS = dict(MUST_FLAG)  # question -> the first category it must be named with


def scorer(p_unsafe: dict[str, float] | None = None, named: dict[str, str] | None = None, codes=CODES):
    """A model's ``score(texts)``: the gate's harms at 0.9 named with their own code, everything else at 0.1,
    with overrides; category columns in ``codes`` order."""
    p_unsafe, named = p_unsafe or {}, named or {}

    def score(texts):
        p = np.array([p_unsafe.get(t, 0.9 if t in HARMS else 0.1) for t in texts])
        cats = np.full((len(texts), len(codes)), 0.01)
        for i, t in enumerate(texts):
            cats[i, codes.index(named.get(t, HARMS.get(t, "S1")))] = 0.9
        return p, cats

    return score


def test_a_model_that_passes_every_question_and_flags_every_harm_ships():
    assert gate(scorer(), 0.5, CODES) == []


def test_flagging_a_question_saferag_itself_asks_keeps_it_from_shipping():
    q = MUST_PASS[0]
    assert gate(scorer({q: 0.6}), 0.5, CODES) == [f"flags {q!r} (0.600)"]


def test_passing_a_clear_harm_keeps_it_from_shipping():
    q = MUST_FLAG[0][0]
    assert gate(scorer({q: 0.3}), 0.5, CODES) == [f"passes {q!r} (0.300)"]


def test_naming_the_wrong_first_category_keeps_it_from_shipping():
    q, code = next((q, c) for q, c in MUST_FLAG if c != "S2")
    assert gate(scorer(named={q: "S2"}), 0.5, CODES) == [f"names S2 for {q!r}, not {code}"]


def test_a_score_at_the_threshold_is_not_flagged():
    """The model flags a score above the threshold: one equal to it passes (a question) and fails (a harm)."""
    q, harm = MUST_PASS[1], MUST_FLAG[1][0]
    assert gate(scorer({q: 0.5, harm: 0.5}), 0.5, CODES) == [f"passes {harm!r} (0.500)"]


def test_every_problem_is_listed():
    p = {MUST_PASS[0]: 0.99, MUST_PASS[-1]: 0.7, MUST_FLAG[0][0]: 0.2}
    problems = gate(scorer(p), 0.5, CODES)
    assert len(problems) == 3 and problems[0].startswith("flags") and problems[-1].startswith("passes")


def test_category_columns_are_read_in_the_given_code_order():
    backwards = CODES[::-1]
    assert gate(scorer(codes=backwards), 0.5, backwards) == []
    assert gate(scorer(codes=backwards), 0.5, CODES) != []  # the same scores read in another order name wrongly


def test_the_threshold_is_the_lowest_that_keeps_the_false_positive_rate():
    scores = [i / 10 for i in range(1, 11)]  # 0.1 … 1.0
    assert threshold_at(scores, 0.2) == pytest.approx(0.8)  # flags 0.9 and 1.0: 2 of 10
    assert threshold_at(scores, 0.0) == pytest.approx(1.0)  # flags none
    assert threshold_at(scores, 0.15) == pytest.approx(0.9)  # 1.5 rows allowed: flags one
    assert threshold_at(np.array(scores[::-1]), 0.2) == pytest.approx(0.8)  # any order, numpy too


@pytest.mark.parametrize("max_fpr", [0.01, 0.03, 0.05, 0.1, 0.25])
def test_the_threshold_rule_on_random_scores(max_fpr):
    rng = random.Random(int(max_fpr * 1000))
    for n in (7, 100, 333, 1000):
        scores = [rng.random() for _ in range(n)]
        t = threshold_at(scores, max_fpr)
        assert t in scores
        flagged = sum(s > t for s in scores)
        assert flagged <= max_fpr * n  # at most the allowed share of safe rows is flagged
        lower = max((s for s in scores if s < t), default=None)
        if lower is not None:  # and it is the lowest such cut-off: the next lower one flags too many
            assert sum(s > lower for s in scores) > max_fpr * n


def test_the_recall_cut_off_flags_the_share_it_must_and_no_fewer():
    scores = [i / 10 for i in range(1, 11)]  # 0.1 … 1.0
    assert threshold_for_recall(scores, 0.8) == pytest.approx(0.25)  # misses 0.1 and 0.2: 8 of 10 flagged
    assert threshold_for_recall(scores, 1.0) == pytest.approx(0.05)  # flags all
    assert threshold_for_recall(np.array(scores[::-1]), 0.85) == pytest.approx(0.15)  # one miss allowed


@pytest.mark.parametrize("min_recall", [0.8, 0.9, 0.93, 0.99])
def test_the_recall_rule_holds_on_float32_scores(min_recall):
    """Stored and compared as float32 (the weights file keeps it so): the cut-off must not round onto a score."""
    rng = np.random.default_rng(int(min_recall * 100))
    for n in (7, 61, 500):
        scores = rng.random(n).astype(np.float32)
        t = np.float32(threshold_for_recall(scores, min_recall))
        n_flagged = int((scores > t).sum())
        assert n_flagged >= min_recall * n - 1e-9
        assert n_flagged - 1 < min_recall * n  # the highest such cut-off: one more miss is too many


def test_what_reads_as_self_harm_is_flagged_from_a_lower_score():
    """Between the self-harm cut-off and the threshold only a question the head reads as S11 is flagged: a
    MUST_PASS question read so keeps the model from shipping, a MUST_FLAG self-harm question there passes the gate."""
    low = self_harm_threshold(0.5)
    assert 0.3 < low < 0.5
    between = (low + 0.5) / 2
    q = MUST_PASS[0]
    assert gate(scorer({q: between}), 0.5, CODES) == []  # read as S1: under the threshold, passes
    assert gate(scorer({q: between}, named={q: "S11"}), 0.5, CODES) == [f"flags {q!r} ({between:.3f})"]
    assert gate(scorer({q: low}, named={q: "S11"}), 0.5, CODES) == []  # at the cut-off: not flagged
    harm = next(q for q, c in MUST_FLAG if c == "S11")
    assert gate(scorer({harm: between}), 0.5, CODES) == []
    assert gate(scorer({harm: low - 0.01}), 0.5, CODES) == [f"passes {harm!r} ({low - 0.01:.3f})"]


def test_the_self_harm_cut_off_weighs_a_miss_by_its_cost():
    """At a cost of one it is the threshold; dearer misses lower it; 0.6 at a cost of two gives 3/7."""
    for t in (0.2, 0.5, 0.6, 0.9):
        assert self_harm_threshold(t, 1.0) == pytest.approx(t)
        assert self_harm_threshold(t, 3.0) < self_harm_threshold(t, 2.0) < t
        low = self_harm_threshold(t, 2.0)
        miss = 2.0 * (1 - t) / t  # a miss's cost, a false alarm's being one
        assert low * miss == pytest.approx(1 - low)  # at the cut-off passing and flagging cost the same
    assert self_harm_threshold(0.6) == pytest.approx(3 / 7)


def test_the_self_harm_rule_needs_half_the_category_probability():
    codes = ["S1", "S11"]
    p = np.array([0.5, 0.5, 0.5, 0.7])
    cats = np.array([[0.6, 0.4], [0.5, 0.5], [0.0, 1.0], [1.0, 0.0]])
    assert flagged(p, cats, codes, 0.6).tolist() == [False, True, True, True]
    assert flagged(p, cats, ["S1", "S2"], 0.6).tolist() == [False, False, False, True]  # no S11 column: threshold


def test_a_dearer_self_harm_miss_lowers_the_gates_cut_off():
    """The gate and ``flagged`` judge self-harm at the miss cost they are given (the trainer's
    ``--self-harm-miss-cost``): a self-harm question scored between the cost-three and cost-two cut-offs is flagged
    at three and passes at two."""
    between = (self_harm_threshold(0.6, 3.0) + self_harm_threshold(0.6, 2.0)) / 2
    cats = np.array([[0.0, 1.0]])
    assert flagged(np.array([between]), cats, ["S1", "S11"], 0.6, 3.0).tolist() == [True]
    assert flagged(np.array([between]), cats, ["S1", "S11"], 0.6, 2.0).tolist() == [False]
    harm = next(q for q, c in MUST_FLAG if c == "S11")
    assert gate(scorer({harm: between}), 0.6, CODES, 3.0) == []
    assert gate(scorer({harm: between}), 0.6, CODES, 2.0) == [f"passes {harm!r} ({between:.3f})"]
