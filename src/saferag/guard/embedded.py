"""The offline default guard: one fine-tuned encoder ensemble that checks questions and, read in windows, answers.

For machines without Llama Guard weights. Real classifiers, trained by ``scripts/`` on HarmBench and
StrongREJECT prompts and written contrast pairs against benign text (``data/*.json`` hold the data
counts and validation numbers), but far weaker than Llama Guard 3: docs/benchmarks.md has the
XSTest report card. Use ``guard = "llama_guard"`` in production.

- Questions (``user`` role): the encoder the weights name (``guard.bases``; shipped: all-mpnet-base-v2
  with its top four layers fine-tuned; weights from before 2026-12-04: the packaged MiniLM) fine-tuned three
  times from different seeds, averaged (``data/question_guard.npz``, ``scripts/train_question_guard.py``). It
  reads a question's object, not only its verb ("kill a Python process" / "kill my landlord"). A
  question its category head reads as self-harm is flagged from a lower score (``flagged``, at the miss cost
  the weights record).
- Answers (``agent`` role): the same question model read over the whole answer in windows, with a linear head
  fit on documentation prose judging the later windows (``guard.answers``, ``data/answer_head.npz``,
  ``scripts/train_answer_guard.py``): one encoder for both roles.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from saferag.errors import GuardError
from saferag.guard import Category, Role, Verdict, last_content, timed, with_exclusions
from saferag.llm import Message

if TYPE_CHECKING:
    from saferag.guard.compiled import CompiledQuestionModel

QUESTION_WEIGHTS = "question_guard.npz"
SECOND_CATEGORY = 0.35  # also name a second category the head gives at least this probability
MAX_TOKENS = 96  # the question model's training length
# A missed self-harm message costs more than a missed other harm, so a question the category head reads as S11 (at
# least half its probability) is flagged from a lower P(unsafe): see ``self_harm_threshold``. The weights record
# their cost (``miss_cost_in``; the shipped ones 3, judged on a blind self-harm set: benchmarks/guard_rules.md,
# rule 18); this default of two is for weights that record none (the MiniLM ensembles: on their validation split a
# cost of 3.5 flagged five more safe rows and no more self-harm; docs/benchmarks.md).
SELF_HARM_MISS_COST = 2.0
SELF_HARM, SELF_HARM_SHARE = "S11", 0.5


def _weights(name: str) -> dict[str, np.ndarray]:
    with resources.as_file(resources.files("saferag.guard") / "data" / name) as path, np.load(path) as w:
        return {k: w[k] for k in w.files}


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities over the last axis (the categories)."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def mean_pool(hidden, mask):
    """Average the token vectors a (torch) attention mask keeps: the sentence vector the heads read."""
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1)


def self_harm_threshold(threshold: float, miss_cost: float = SELF_HARM_MISS_COST) -> float:
    """The cut-off for questions read as self-harm: where the expected cost of passing equals that of flagging.

    A cut-off ``t`` on a probability weighs a miss at ``(1 - t) / t`` of a false alarm (0.6: two thirds); a miss
    ``miss_cost`` times as dear moves it to ``t / (t + miss_cost * (1 - t))`` (0.6 -> 0.43).
    """
    return threshold / (threshold + miss_cost * (1.0 - threshold))


def miss_cost_in(weights) -> float:
    """The self-harm miss cost a question model's weights (an ``.npz`` or its dict) record; ``SELF_HARM_MISS_COST``
    for weights that record none (every file written before the trainer's ``--self-harm-miss-cost``)."""
    return float(weights["self_harm_miss_cost"]) if "self_harm_miss_cost" in weights else SELF_HARM_MISS_COST


def flagged(p_unsafe: np.ndarray, probs: np.ndarray, codes: Sequence[str], threshold: float,
            miss_cost: float = SELF_HARM_MISS_COST) -> np.ndarray:
    """The question model's decision per row: P(unsafe) above the threshold, or above the lower self-harm cut-off
    (``self_harm_threshold`` at ``miss_cost``) when the category head gives S11 at least half its probability.
    Shared by the guard, its ship gate and the benchmarks, so all of them judge as the guard does."""
    p = np.asarray(p_unsafe, dtype=np.float64)
    return (p > threshold) | (reads_self_harm(probs, codes) & (p > self_harm_threshold(threshold, miss_cost)))


def reads_self_harm(probs: np.ndarray, codes: Sequence[str]) -> np.ndarray:
    """Per row, whether the category head gives S11 at least half its probability (all False without an S11 code):
    the rows judged from the lower self-harm cut-off."""
    probs = np.asarray(probs)
    if SELF_HARM not in codes:
        return np.zeros(len(probs), dtype=bool)
    return probs[:, list(codes).index(SELF_HARM)] >= SELF_HARM_SHARE


def split_encoder(base, first: int):
    """The base encoder (a transformers BertModel or MPNetModel) cut at layer ``first``: (lower, top).

    Only the fine-tuned top layers ship; the embeddings and lower layers are the base encoder as it is,
    identical for every member, so they run once per batch and each member runs only its top layers on their
    output (``scripts/train_question_guard.py`` trains on that output, computed once). ``top`` is a template for
    a member: the same model class whose embedding step passes the lower layers' output through, which leaves
    building the attention mask (and MPNet's relative position bias) to the model's own code in any transformers
    version.
    """
    import copy

    import torch

    class Passthrough(torch.nn.Module):
        """A member's embedding step: its input is already the shared lower layers' output."""

        def forward(self, inputs_embeds=None, **_):
            return inputs_embeds

    layers = base.encoder.layer
    top = copy.deepcopy(base)
    top.encoder.layer, top.embeddings, top.pooler = torch.nn.ModuleList(copy.deepcopy(layers[first:])), \
        Passthrough(), None
    base.encoder.layer = torch.nn.ModuleList(layers[:first])
    return base, top


class EnsembleHeads:
    """The question ensemble's two heads over its members' pooled vectors, for either way of running the encoder
    (torch here, OpenVINO in ``compiled``): ``pooled`` is (members, texts, hidden)."""

    base: str
    codes: list[str]
    threshold: float
    self_harm_miss_cost: float
    bin_w: np.ndarray
    bin_b: np.ndarray
    cat_w: np.ndarray
    cat_b: np.ndarray

    def pooled(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def scores(self, pooled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(unsafe) and category probabilities per text, each the mean over the members."""
        logits = np.einsum("mth,mh->mt", pooled, self.bin_w) + self.bin_b.reshape(-1, 1)
        cat = np.einsum("mth,mhc->mtc", pooled, self.cat_w) + self.cat_b[:, None, :]
        return (1.0 / (1.0 + np.exp(-logits))).mean(axis=0), softmax(cat).mean(axis=0)

    def score(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return self.scores(self.pooled(texts))


class QuestionModel(EnsembleHeads):
    """An ensemble: the base encoder the weights name (``guard.bases``) with each member's fine-tuned top layers,
    mean pooling, two linear heads.

    The members were trained on the same rows from different seeds; their probabilities are averaged,
    which ranks unseen phrasings more steadily than any one of them.
    """

    def __init__(self, *, cache: str = "") -> None:
        import copy

        import torch
        from transformers import AutoModel, AutoTokenizer

        from saferag.guard.bases import base_path, named_in

        w = _weights(QUESTION_WEIGHTS)
        self.base = named_in(w)
        path = str(base_path(self.base, cache))
        self._tok = AutoTokenizer.from_pretrained(path)
        base = AutoModel.from_pretrained(path).eval()
        first = int(w["first_trained"])
        self._lower, top = split_encoder(base, first)
        self._members = []
        for j in range(int(w["members"])):
            member = copy.deepcopy(top)
            for i, layer in enumerate(member.encoder.layer, start=first):
                prefix = f"m{j}.layer{i}."
                layer.load_state_dict({k[len(prefix):]: torch.from_numpy(v.astype(np.float32))
                                       for k, v in w.items() if k.startswith(prefix)})
            self._members.append(member)
        self._torch = torch
        self.bin_w, self.bin_b, self.cat_w, self.cat_b = w["bin_w"], w["bin_b"], w["cat_w"], w["cat_b"]
        self.codes, self.threshold = [str(c) for c in w["cat_codes"]], float(w["threshold"])
        self.self_harm_miss_cost = miss_cost_in(w)
        self._lock = threading.Lock()  # a fast tokenizer must not be shared between threads

    def tokenize(self, texts: Sequence[str]) -> Any:
        with self._lock:
            return self._tok(list(texts), padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")

    def pooled(self, texts: Sequence[str]) -> np.ndarray:
        enc = self.tokenize(texts)
        with self._torch.inference_mode():
            shared = self._lower(**enc).last_hidden_state
            return np.stack([mean_pool(member(inputs_embeds=shared, attention_mask=enc["attention_mask"])
                                       .last_hidden_state, enc["attention_mask"]).numpy() for member in self._members])


def question_precision(setting: str = "auto") -> str:
    """The compiled question model's precision for ``guard_precision``: ``auto`` is bfloat16 where the CPU runs it
    natively, with AMX or AVX512-BF16, else float32. Measured (docs/benchmarks.md): on an Emerald Rapids Xeon (AMX)
    one verdict in 3,892 report prompts differs, p50 44.8 → 22.3 ms; on a Zen 4 EPYC (AVX512-BF16) none of 4,292,
    p50 40.8 → 26.8 ms (rule GP1, benchmarks/guard_rules.md). Where bfloat16 is emulated it would be slower."""
    if setting != "auto":
        return setting
    from saferag.quantize import NATIVE_BF16_FLAGS, cpu_flags

    # the flags alone, not embed.cpu_has_native_bf16: its fallback imports torch, seconds of a cold start
    return "bfloat16" if cpu_flags() & NATIVE_BF16_FLAGS else "float32"


def question_model(cache: str = "", precision: str = "float32") -> QuestionModel | CompiledQuestionModel:
    """The question ensemble compiled by OpenVINO at ``precision`` (from the cache, or converted now and cached),
    else in torch (float32)."""
    from saferag.cache import cache_dir
    from saferag.guard.compiled import compiled_question_model

    folder = cache_dir(cache)
    found = compiled_question_model(folder, QUESTION_WEIGHTS, max_tokens=MAX_TOKENS, precision=precision)
    if found is not None:
        return found
    torch_model = QuestionModel(cache=cache)
    return compiled_question_model(folder, QUESTION_WEIGHTS, max_tokens=MAX_TOKENS, torch_model=torch_model,
                                   precision=precision) or torch_model


class EmbeddingGuard:
    """Unsafe-or-not and the S-code: the question model for ``user``, the same model read in windows for ``agent``.

    ``precision`` is the question model's (``guard_precision``); its default, ``auto``, is the setting's, so a guard
    built directly checks questions as ``SafeRag`` does. ``threshold`` replaces the question model's cut-off wherever
    its rule is used: on questions and on an answer's windows (``guard.answers``)."""

    def __init__(self, *, threshold: float | None = None, excluded: Sequence[str] = (), cache: str = "",
                 precision: str = "auto") -> None:
        from saferag.guard.answers import WindowedAnswerModel

        questions = question_model(cache, question_precision(precision))
        self.name = f"embedded ({questions.base} classifiers)"  # as verdicts and the audit trail name it
        self.models: dict[str, EnsembleHeads | WindowedAnswerModel] = {
            "user": questions, "agent": WindowedAnswerModel(questions, cache=cache, question_threshold=threshold)}
        self._threshold = threshold  # the question model's cut-off, if set, for both roles; else its own
        self.excluded = list(excluded)

    @classmethod
    def from_settings(cls, guard, *, embedder=None) -> EmbeddingGuard:
        """The guard ``guard`` (``GuardSettings``) describes; ``embedder`` is unused (one encoder for both roles)."""
        return cls(threshold=guard.threshold, excluded=guard.excluded_categories,
                   cache=guard.generator.cache_dir, precision=guard.precision)

    def threshold(self, role: Role = "user") -> float:
        """The cut-off on ``score``'s P(unsafe): a set ``threshold`` for questions, else the model's own; always the
        answer model's 0.5 for answers, whose score is a margin over cut-offs (``threshold`` moves its rule's)."""
        if role == "agent" or self._threshold is None:
            return self.models[role].threshold
        return self._threshold

    def miss_cost(self) -> float:
        """How much dearer a missed self-harm question is than a false alarm, as the question model's weights say."""
        return float(getattr(self.models["user"], "self_harm_miss_cost", SELF_HARM_MISS_COST))

    def score(self, texts: Sequence[str], role: Role = "user") -> tuple[np.ndarray, np.ndarray]:
        """P(unsafe) per text, and the category probabilities (columns in ``codes(role)`` order). A score that is not
        a number raises ``GuardError``: NaN compares false with every cut-off, so it would read as "safe" (OpenVINO's
        bfloat16 run of the question ensemble gave NaN for every text, 2026-12-05)."""
        p_unsafe, probs = self.models[role].score(texts)
        if not (np.isfinite(p_unsafe).all() and np.isfinite(probs).all()):
            raise GuardError(f"the embedded guard's {role} model gave no score (not a number): not judged safe")
        return p_unsafe, probs

    def codes(self, role: Role = "user") -> list[str]:
        return self.models[role].codes

    def decide(self, p_unsafe: np.ndarray, probs: np.ndarray, role: Role = "user") -> np.ndarray:
        """Whether each scored text is flagged: the question model's rule for ``user`` (``flagged``), the threshold
        alone for ``agent`` (its score already holds the question model's rule, self-harm cut-off included)."""
        if role == "user":
            return flagged(p_unsafe, probs, self.codes(role), self.threshold(role), self.miss_cost())
        return np.asarray(p_unsafe) > self.threshold(role)

    def flags(self, texts: Sequence[str], role: Role = "user") -> np.ndarray:
        """Whether each text is flagged, as ``check`` would judge it alone."""
        return self.decide(*self.score(texts, role), role)

    def check(self, messages: Sequence[Message], role: Role = "user") -> Verdict:
        def run() -> Verdict:
            p_unsafe, probs = self.score([last_content(messages, role)], role)
            p, cats, threshold, codes = float(p_unsafe[0]), probs[0], self.threshold(role), self.codes(role)
            raw = f"p_unsafe={p:.3f} threshold={threshold:.3f}"
            if role == "user":
                raw += f" self_harm_threshold={self_harm_threshold(threshold, self.miss_cost()):.3f}"
            if not self.decide(p_unsafe[:1], probs[:1], role)[0]:
                return Verdict(safe=True, raw=raw)
            order = np.argsort(-cats)
            named = [codes[order[0]]] + [codes[i] for i in order[1:2] if cats[i] >= SECOND_CATEGORY]
            return with_exclusions(Verdict(safe=False, categories=[Category.of(c) for c in named], raw=raw),
                                   self.excluded)

        return timed(self.name, role, run)
