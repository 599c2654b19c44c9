"""The offline answer check: the question model read over the whole answer in windows, with a head for prose.

The MiniLM MLP this replaced judged one averaged vector per answer, so a harm placed after a sentence or two of
ordinary answer hid in the average: it flagged 0.204 of 520 harms restated after the first window of an ordinary
answer (rule AG6 in ``benchmarks/guard_rules.md``; 0.298 after a whole answer, ``benchmarks/guard_answer_recall.py``;
this check: 0.685 and 0.485, rules AG8 and AG9). Here the answer is read
in the question model's own windows (94 word pieces, the 96 it was trained on less its two markers; 16 shared with
the next) and judged window by window, so harm anywhere is read at full strength:

- the first window as a question is (the question model's rule, ``embedded.flagged``): a complying answer opens
  by restating what it was asked;
- a later window is documentation-like prose, which a model that saw only questions over-reads, so it is flagged
  only when a linear head over the same forward pass (the members' pooled vectors; ``data/answer_head.npz``, fit
  by ``scripts/train_answer_guard.py`` with manual pages and model answers as safe) agrees.

Both decisions are margins (log-odds above each cut-off); an answer's score is the sigmoid of its largest window
margin, so 0.5 is its threshold and the category is that window's. The head was fit on float32 vectors; where the
question model runs in bfloat16 (``guard_precision`` ``auto`` on AMX and AVX512-BF16 CPUs) it reads bfloat16
ones, which is how it was judged (AG8, AG9, on an AMX Xeon). A window starts at a word piece, which may be
mid-word; the last window, tokenized again, can then exceed 94 pieces by one or two, and the encoder's 96-piece
limit drops the answer's last piece or two.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from saferag.errors import GuardError
from saferag.guard.embedded import EnsembleHeads, reads_self_harm, self_harm_threshold

ANSWER_HEAD = "answer_head.npz"
WINDOW, SHARED = 94, 16  # word pieces per window; those a window shares with the next


def logit(p: Any) -> Any:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.log(p / (1.0 - p))


def question_margin(p_unsafe: np.ndarray, probs: np.ndarray, codes: Sequence[str], threshold: float,
                    miss_cost: float) -> np.ndarray:
    """Log-odds of P(unsafe) above the question model's cut-off (the lower self-harm one where the category head
    reads S11): positive exactly where ``embedded.flagged`` flags."""
    margin = logit(p_unsafe) - logit(threshold)
    low = logit(p_unsafe) - logit(self_harm_threshold(threshold, miss_cost))
    return np.where(reads_self_harm(probs, codes), np.maximum(margin, low), margin)


def window_tokenizer(questions: EnsembleHeads, cache: str = "") -> Tokenizer:
    """The question model's tokenizer with truncation and padding off: what ``windows`` counts word pieces with."""
    from saferag.guard.bases import base_path

    tokenizer = Tokenizer.from_file(str(base_path(questions.base, cache) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def windows(tokenizer: Tokenizer, text: str) -> list[str]:
    """The text cut into windows the question model reads whole, each sharing ``SHARED`` word pieces with the next.
    ``tokenizer`` is ``window_tokenizer``'s."""
    offsets = tokenizer.encode(text, add_special_tokens=False).offsets
    if len(offsets) <= WINDOW:
        return [text]
    out = []
    for start in range(0, len(offsets), WINDOW - SHARED):
        end = min(start + WINDOW, len(offsets))
        out.append(text[offsets[start][0]:offsets[end - 1][1]])
        if end == len(offsets):
            break
    return out


class WindowedAnswerModel:
    """P(unsafe) and category probabilities per answer, from the question model's windows and the prose head."""

    threshold = 0.5  # the score is a sigmoid of a margin: flagged above 0.5

    def __init__(self, questions: EnsembleHeads, *, cache: str = "", head: Mapping[str, Any] | None = None,
                 question_threshold: float | None = None) -> None:
        """``questions`` is the guard's question model; ``head`` the head's arrays (default: the shipped file);
        ``question_threshold`` replaces the question model's own cut-off in its rule (``guard_threshold``, which
        moves both roles' cut-off alike); the head's cut-off is its own."""
        if head is None:
            with resources.as_file(resources.files("saferag.guard") / "data" / ANSWER_HEAD) as path, \
                    np.load(path) as w:
                head = {k: w[k] for k in w.files}
        fitted_on = np.asarray(head["question_bin_b"])
        if fitted_on.shape != questions.bin_b.shape or not np.allclose(fitted_on, questions.bin_b):
            raise GuardError("the answer head was fit on another question model's vectors: refit it with "
                             "scripts/train_answer_guard.py")
        self._w, self._b, self._cut = np.asarray(head["w"]), float(head["b"]), float(head["threshold"])
        self._q, self.codes = questions, questions.codes
        self._question_cut = questions.threshold if question_threshold is None else question_threshold
        self._tok = window_tokenizer(questions, cache)
        self._lock = threading.Lock()  # a tokenizer's settings are state: not shared between threads mid-call

    def windows(self, text: str) -> list[str]:
        with self._lock:
            return windows(self._tok, text)

    def score(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        per_text = [self.windows(t) for t in texts]
        flat = [w for ws in per_text for w in ws]
        pooled = self._q.pooled(flat)  # (members, windows, hidden): one forward pass for every window
        p_unsafe, probs = self._q.scores(pooled)
        margin = question_margin(p_unsafe, probs, self.codes, self._question_cut, self._q.self_harm_miss_cost)
        head = np.concatenate(list(pooled), axis=1) @ self._w + self._b - logit(self._cut)
        scores, cats, at = [], [], 0
        for ws in per_text:
            m = margin[at:at + len(ws)].copy()
            m[1:] = np.minimum(m[1:], head[at + 1:at + len(ws)])  # later windows: both must flag
            best = at + int(np.argmax(m))
            scores.append(1.0 / (1.0 + np.exp(-float(m.max()))))
            cats.append(probs[best])
            at += len(ws)
        return np.array(scores), np.array(cats)

    def flags(self, texts: Sequence[str]) -> np.ndarray:
        return self.score(texts)[0] > self.threshold
