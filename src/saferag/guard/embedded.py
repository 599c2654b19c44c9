"""The offline default guard: a small classifier over the packaged MiniLM's sentence vectors.

For machines without Llama Guard weights. It is a real classifier, trained by
``scripts/train_guard.py`` on HarmBench and StrongREJECT prompts against benign questions (see
``data/embedded_guard.json`` for the data and its validation numbers), but it is far weaker than
Llama Guard 3: docs/benchmarks.md has its XSTest report card. Use ``guard = "llama_guard"`` in
production.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

import numpy as np

from saferag.guard import Category, Role, Verdict, last_content, timed, with_exclusions
from saferag.llm import Message

WEIGHTS = "embedded_guard.npz"
SECOND_CATEGORY = 0.35  # also name a second category the head gives at least this probability


class EmbeddingGuard:
    """Unsafe-or-not from an MLP over the question's embedding; the S-code from a second head."""

    name = "embedded (MiniLM classifier)"

    def __init__(self, embedder=None, *, threshold: float | None = None, excluded: Sequence[str] = ()) -> None:
        from saferag.embed import PACKAGED_MODEL_NAME, SentenceTransformerEmbedder

        # The heads were trained on the packaged MiniLM's vectors: reuse the pipeline's embedder
        # only if it is that model, else load the packaged one next to it.
        if embedder is None or getattr(embedder, "name", "") != PACKAGED_MODEL_NAME:
            embedder = SentenceTransformerEmbedder()
        self.embedder = embedder
        with resources.as_file(resources.files("saferag.guard") / "data" / WEIGHTS) as path:
            w = np.load(path)
            self._w1, self._b1, self._w2, self._b2 = w["w1"], w["b1"], w["w2"], w["b2"]
            self._cat_w, self._cat_b = w["cat_w"], w["cat_b"]
            self._codes = [str(c) for c in w["cat_codes"]]
            self.threshold = float(threshold if threshold is not None else w["threshold"])
        self.excluded = list(excluded)

    @classmethod
    def from_settings(cls, settings, *, embedder=None) -> EmbeddingGuard:
        return cls(embedder, threshold=settings.guard_threshold, excluded=settings.guard_excluded_categories)

    def score(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """P(unsafe) per text, and the category probabilities (columns in ``self._codes`` order)."""
        x = np.asarray(self.embedder.embed_documents(list(texts)), dtype=np.float32)
        hidden = np.maximum(x @ self._w1 + self._b1, 0.0)
        p_unsafe = 1.0 / (1.0 + np.exp(-(hidden @ self._w2 + self._b2)[:, 0]))
        logits = x @ self._cat_w + self._cat_b
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        return p_unsafe, probs / probs.sum(axis=1, keepdims=True)

    def check(self, messages: Sequence[Message], role: Role = "user") -> Verdict:
        def run() -> Verdict:
            p_unsafe, probs = self.score([last_content(messages, role)])
            p, cats = float(p_unsafe[0]), probs[0]
            raw = f"p_unsafe={p:.3f} threshold={self.threshold:.3f}"
            if p <= self.threshold:
                return Verdict(safe=True, raw=raw)
            order = np.argsort(-cats)
            codes = [self._codes[order[0]]] + [self._codes[i] for i in order[1:2] if cats[i] >= SECOND_CATEGORY]
            return with_exclusions(Verdict(safe=False, categories=[Category.of(c) for c in codes], raw=raw),
                                   self.excluded)

        return timed(self.name, role, run)
