"""The relevance floor: when nothing retrieved is close enough to the question, say the documents do not cover
it instead of letting a small model answer from unrelated passages (which it does, confidently).

Off by default (``relevance_floor = 0``). A floor is a cosine, so it belongs to one embedder: for the packaged
all-MiniLM-L6-v2, 0.40 lost no answerable question on four sets of real documentation questions while catching
most questions about other software and nearly all everyday ones (benchmarks/relevance_floor.py,
docs/benchmarks.md). It stays off by default because a question worded far from its page can score lower
still: the test corpus's "How do two computers set up a dependable link before they send data?" finds its TCP
page at 0.22.
"""

from __future__ import annotations

from collections.abc import Sequence

from saferag.types import Hit

#: The floor measured for the packaged MiniLM; set ``relevance_floor`` to it to turn the check on.
MINILM_FLOOR = 0.40

NOT_FOUND = ("I could not find this in the documents: none of the passages I retrieved is close enough to the "
             "question to answer from. The closest ones are listed below, in case one helps.")


def best_cosine(hits: Sequence[Hit]) -> float | None:
    """The highest cosine to the question among ``hits``; None when no hit came from the dense index (BM25)."""
    scores = [h.dense_score for h in hits if h.dense_score is not None]
    return max(scores) if scores else None
