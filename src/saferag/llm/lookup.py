"""Prompt-lookup drafting for llama.cpp: grounded answers copy their passages, so the prompt predicts them.

A small model answering from passages often copies a run of tokens from them (a page's heading, a sentence, a
signature). Prompt-lookup decoding (Saxena, 2023) proposes the tokens that followed the last n-gram's earlier
occurrence in the prompt; the model checks them all in one batch and keeps those it would have produced itself,
so what is sampled is unchanged and only the number of model calls drops.

llama-cpp-python ships the drafting loop (``Llama(draft_model=...)``) and a lookup (``LlamaPromptLookupDecoding``),
but two things make them slower than plain decoding on a CPU, which is why this module exists:

- with a draft model, ``Llama`` computes logits for every prompt token (``logits_all``), which on a 0.5B model with
  a 152k vocabulary costs about a third more prompt time; ``DraftingLlama.eval`` asks for them only in a draft's
  batch;
- its lookup proposes a draft at every step, down to one-token matches, and on 2 cores a batch of 16 tokens costs
  about 3.4 single steps (docs/benchmarks.md): a model that paraphrases (Qwen2.5-Coder-1.5B rejected the first
  drafted token 312 times in 405) became 1.7x slower. ``PromptLookup`` submits a draft only while the model is
  copying: after the lookup's proposals have matched the last few tokens the model produced on its own.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import numpy as np
from llama_cpp import Llama

__all__ = ["DraftingLlama", "PromptLookup"]

#: The llama-cpp-python internals ``DraftingLlama.eval`` relies on (checked at load; drafting is off without them).
_INTERNALS = ("_ctx", "_batch", "input_ids", "n_tokens", "n_batch", "draft_model")


class PromptLookup:
    """A draft model for ``Llama``: the tokens after the latest n-gram's first earlier occurrence, while copying.

    Called with all tokens so far (prompt and answer), it returns up to ``tokens`` draft tokens, or none while the
    model is not copying. Every call also checks the previous call's proposal against what the model went on to
    produce, submitted or not, so the copying streak is known without spending a batch on it.
    """

    def __init__(self, tokens: int = 15, *, max_ngram: int = 3, streak: int = 3) -> None:
        self.tokens, self.max_ngram, self.streak = tokens, max_ngram, streak
        self._proposed: tuple[int, np.ndarray, bool] | None = None  # (where it starts, proposal, submitted)
        self._run = 0  # tokens in a row that the lookup predicted
        self.drafted = self.accepted = 0  # draft tokens submitted and kept, over this object's life (benchmarks)

    def propose(self, ids: np.ndarray) -> np.ndarray:
        """What followed the longest (≤ ``max_ngram``) suffix of ``ids`` where it first occurred before."""
        for size in range(min(self.max_ngram, len(ids) - 1), 0, -1):
            windows = np.lib.stride_tricks.sliding_window_view(ids[:-1], size)
            found = np.flatnonzero((windows == ids[-size:]).all(axis=1))
            if len(found):
                start = int(found[0]) + size
                return ids[start:start + self.tokens]
        return ids[:0]

    def reset(self) -> None:
        """Forget the last answer's streak: a new prompt starts."""
        self._proposed, self._run = None, 0

    def __call__(self, input_ids: np.ndarray, /, **_: Any) -> np.ndarray:
        ids = np.asarray(input_ids)
        if self._proposed is not None and len(ids) > self._proposed[0]:  # the same answer, further on
            start, proposal, submitted = self._proposed
            matched = _common_prefix(proposal, ids[start:])
            self._run = self._run + matched if matched else 0
            if submitted:
                self.accepted += matched
        else:
            self._run = 0
        proposal = self.propose(ids)
        submit = self._run >= self.streak and len(proposal) > 0
        self._proposed = (len(ids), proposal, submit)
        if not submit:
            return ids[:0]
        self.drafted += len(proposal)
        return proposal


def _common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if len(differ) else n


class DraftingLlama(Llama):
    """``Llama`` that verifies ``PromptLookup`` drafts, computing logits for the prompt's last token only."""

    def __init__(self, *args: Any, draft_tokens: int = 15, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # without draft_model: Llama would then compute logits for every token
        self._draft_batch = 0
        if draft_tokens > 0 and all(hasattr(self, name) for name in _INTERNALS):
            self.draft_model = PromptLookup(draft_tokens)  # type: ignore[assignment]  # duck-typed LlamaDraftModel
            self._draft_batch = draft_tokens + 1  # the sampled token and its draft

    def generate(self, tokens: Sequence[int], *args: Any, **kwargs: Any) -> Generator[int, Sequence[int] | None, None]:
        if isinstance(self.draft_model, PromptLookup):
            self.draft_model.reset()
        return super().generate(tokens, *args, **kwargs)

    def eval(self, tokens: Sequence[int]) -> None:
        """``Llama.eval``, with logits for every token of a draft's batch and for the last token otherwise.

        Written out because ``Llama.eval`` takes the choice from ``logits_all`` for the whole life of the model; the
        scores ``Llama`` copies out for ``logprobs`` are not kept (saferag never asks for them).
        """
        if not self._draft_batch:
            return super().eval(tokens)
        every = len(tokens) <= self._draft_batch
        self._ctx.kv_cache_seq_rm(-1, self.n_tokens, -1)
        for i in range(0, len(tokens), self.n_batch):
            batch = tokens[i:i + self.n_batch]
            self._batch.set_batch(batch=batch, n_past=self.n_tokens, logits_all=every)
            self._ctx.decode(self._batch)
            self.input_ids[self.n_tokens:self.n_tokens + len(batch)] = batch
            self.n_tokens += len(batch)
            self._requires_eval = False
        return None
