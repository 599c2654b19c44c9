"""How hybrid search ranks: fusing the dense and BM25 lists, and keeping one source from crowding the top k.

Fusion runs here rather than in Milvus (``RRFRanker``) so that its weights are ours to set and measure: plain
RRF gave both legs the same say, and on questions worded away from a page's keywords the BM25 leg pushed the
dense leg's right answer out of the top 5 (docs/benchmarks.md). Both fusions are standard: weighted reciprocal
rank fusion (Cormack et al., 2009) and a convex combination of min-max normalized scores (Bruch et al., 2023).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from saferag.types import Hit

FusionKind = Literal["rrf", "convex"]


@dataclass(frozen=True)
class Fusion:
    """How the two legs of a hybrid search are combined, and how deep each leg looks."""

    kind: FusionKind = "rrf"
    dense_weight: float = 0.5  # the dense leg's share; BM25 gets the rest
    rrf_k: int = 60
    candidates: int = 20  # hits each leg fetches


@dataclass(frozen=True)
class SearchQuery:
    """One search: ``text`` for the keyword (BM25) leg, and the texts whose query embeddings, weighted, summed and
    normalized, make the dense leg's vector (``blend``; empty: ``text``'s own embedding)."""

    text: str
    blend: tuple[tuple[str, float], ...] = ()


def blended(vectors: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """The weighted sum of unit query vectors, normalized again so that inner product stays cosine."""
    v = np.sum([w * np.asarray(x, dtype=np.float32) for x, w in zip(vectors, weights, strict=True)], axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _key(hit: Hit) -> tuple[str, int, str]:
    return hit.source, hit.chunk_index, hit.doc_hash


def fuse(dense: Sequence[Hit], bm25: Sequence[Hit], fusion: Fusion) -> list[Hit]:
    """One list, best first, from the two legs' lists (each best first); ``score`` is the fused score."""
    w = (fusion.dense_weight, 1.0 - fusion.dense_weight)
    scores: dict[tuple[str, int, str], float] = {}
    hits: dict[tuple[str, int, str], Hit] = {}
    for weight, leg in zip(w, (dense, bm25), strict=True):
        if fusion.kind == "rrf":
            parts = [weight / (fusion.rrf_k + rank) for rank in range(1, len(leg) + 1)]
        else:
            raw = [h.score for h in leg]
            lo, hi = (min(raw), max(raw)) if raw else (0.0, 0.0)
            parts = [weight * ((s - lo) / (hi - lo) if hi > lo else 1.0) for s in raw]
        for hit, part in zip(leg, parts, strict=True):
            key = _key(hit)
            scores[key] = scores.get(key, 0.0) + part
            hits.setdefault(key, hit)
    order = sorted(scores, key=lambda key: -scores[key])
    return [_with_score(hits[key], scores[key]) for key in order]


def interleave(lists: Sequence[Sequence[Hit]]) -> list[Hit]:
    """One list from the ranked results of several queries for the same need: their first hits, then their
    second, and so on, each chunk once. Every query's best hits make the top k, which rank fusion (RRF, k = 60)
    did not promise: over deep lists it favoured chunks all queries ranked middling (docs/benchmarks.md,
    follow-up questions)."""
    if len(lists) == 1:
        return list(lists[0])
    seen: set[tuple[str, int, str]] = set()
    out: list[Hit] = []
    for rank in range(max((len(leg) for leg in lists), default=0)):
        for leg in lists:
            if rank < len(leg) and _key(leg[rank]) not in seen:
                seen.add(_key(leg[rank]))
                out.append(leg[rank])
    return out


def collapse_copies(hits: Sequence[Hit]) -> list[Hit]:
    """The hits with each passage once: chunks of the same text (whitespace folded) from several sources, as an
    aggregate page (Node.js's ``all.html``, a single-page manual) repeats its parts, keep the best one's place.

    Copies tie in both legs, so which copy Milvus returned first is arbitrary; the place goes to the copy that
    sits earliest in its document (the lowest ``chunk_index``), which is the focused page rather than the long
    aggregate that repeats it. Without this, a copy took a place of the top k and of an answer's passages, and
    the citation pointed at a page of thousands of chunks (docs/benchmarks.md, 2026-12-04).
    """
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(" ".join(hit.text.split()), []).append(hit)
    out: list[Hit] = []
    for copies in groups.values():  # in order of each text's best place
        best = min(copies, key=lambda h: h.chunk_index)
        out.append(best if best is copies[0] else _with_score(best, copies[0].score))
    return out


#: Kinds of which one file is a whole book (a manual as one PDF): there the cap counts chunks per section, as it
#: counts per page on a site of HTML pages, so that one section of a 1,000-page manual cannot fill the top k
#: (benchmarks/retrieval_rules.md, P1 and P2). Measured on PDFs only.
BOOK_KINDS = frozenset({"pdf"})


def place(hit: Hit) -> tuple[str, ...]:
    """What the per-source cap counts a hit under: its source, or in a book-like file with headings its section.

    A section is named down to its last heading that is not minor (``section_depth``; rule P6): a PDF's bold
    body-size headings are too fine a place, as with them one long file filled the top k (rule P5)."""
    if hit.headings and hit.metadata.get("kind") in BOOK_KINDS:
        depth = hit.metadata.get("section_depth")
        return (hit.source, *hit.headings[:depth if isinstance(depth, int) else None])
    return (hit.source,)


def diversify(hits: Sequence[Hit], k: int, max_per_source: int) -> list[Hit]:
    """The best ``k`` hits with at most ``max_per_source`` from any one source (a section, in a PDF; 0: no cap).

    When the cap leaves fewer than ``k``, the best of the hits it passed over fill the rest, so a collection
    of a single document still returns ``k`` chunks.
    """
    if max_per_source <= 0:
        return list(hits[:k])
    kept: list[Hit] = []
    spare: list[Hit] = []
    per_source: dict[tuple[str, ...], int] = {}
    for hit in hits:
        where = place(hit)
        n = per_source.get(where, 0)
        if n < max_per_source:
            per_source[where] = n + 1
            kept.append(hit)
            if len(kept) == k:
                return kept
        else:
            spare.append(hit)
    if len(kept) < k:  # refill in the original order, so the result stays best first
        chosen = {id(h) for h in kept + spare[:k - len(kept)]}
        kept = [h for h in hits if id(h) in chosen]
    return kept


def _with_score(hit: Hit, score: float) -> Hit:
    return replace(hit, score=score)
