"""Retrieved chunks are data, never instructions: screen them for prompt injection.

Uses the packaged NanoGuard classifier (``metatronnanoguard``, 16.8M parameters, on CPU). Alone it
is not usable on documentation: at its 0.5 cut-off it flagged 35% of ordinary SQLite manual
chunks (imperative, technical prose looks like instructions to it). So a chunk is flagged only
when NanoGuard flags it *and* it addresses an AI model (``ADDRESSES_MODEL``): a hand-written
precision gate, since no packaged classifier separates the two. Numbers in docs/benchmarks.md.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from saferag.types import Hit


#: Text that speaks to the model rather than to a human reader.
ADDRESSES_MODEL = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}\b(instructions?|prompts?|rules|guidelines|"
    r"directives|context)\b|\byou are now\b|\b(system|developer) (prompt|mode|message)\b|"
    r"\b(AI|language model|LLM|chatbot|assistant)s?\b[^.\n]{0,30}\b(must|should|will|are to)\b|"
    r"\bnew instructions?\b|\bdo not (tell|inform|mention)[^.\n]{0,20}\buser\b|\bjailbr(eak|oken)\b|"
    # Added 2026-11-22 from the train and validation splits of neuralchemy's set (benchmarks/injection_screen.py):
    r"\byour (original |initial |previous |prior |current )?(instructions|guidelines|system prompt|"
    r"programming(?! language))\b|"
    r"\b(no|without( any)?) (ethical|moral|safety) (guidelines|constraints|restrictions|limits|filters)\b|"
    r"\b(unrestricted|unfiltered|uncensored) (mode|ai|assistant|model)\b|"
    r"\b(reveal|print|show|repeat|output|display|leak)\b[^.\n]{0,30}\b(system prompt|(your|the) (hidden |secret )?"
    r"(instructions|prompt|configuration|secret key|password))\b|"
    r"\b(previous|prior|above|earlier|all) (instructions|prompts|directives)\b",
    re.IGNORECASE)


@dataclass
class Flagged:
    source: str
    chunk_index: int
    score: float
    text: str


class InjectionScreen:
    """Split hits into those safe to put in a prompt and those flagged as injection attempts."""

    def __init__(self, threshold: float = 0.5) -> None:
        import importlib.util

        if importlib.util.find_spec("nanoguard") is None:
            raise ImportError("the injection screen needs NanoGuard: pip install metatronnanoguard")
        self.threshold = threshold
        # Loaded on the first chunk that passes the gate, which few do: NanoGuard runs on torch, and importing
        # torch for every start of `saferag ask` cost seconds of its cold start.
        self._model: Any = None
        self._lock = threading.Lock()  # one torch module, called from request threads

    def model_score(self, text: str) -> float:
        """NanoGuard's injection score alone (0-1), without the gate: what ``split`` compares to the threshold."""
        with self._lock:
            if self._model is None:
                from nanoguard import NanoGuard

                self._model = NanoGuard(device="cpu", threshold=self.threshold)
            return float(self._model.scan(text).injection_score)

    def split(self, hits: Sequence[Hit]) -> tuple[list[Hit], list[Flagged]]:
        kept, flagged = [], []
        for hit in hits:
            if not ADDRESSES_MODEL.search(hit.text):
                kept.append(hit)
                continue
            score = self.model_score(hit.text)
            if score >= self.threshold:
                flagged.append(Flagged(hit.source, hit.chunk_index, round(float(score), 4), hit.text))
            else:
                kept.append(hit)
        return kept, flagged
