"""Retrieval evaluation: hit@1, hit@k and MRR over ``{"question", "source"}`` JSONL lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from saferag.errors import SafeRagError
from saferag.rag import SafeRag
from saferag.store import SearchMode


def load_qa(path: str | Path) -> list[dict[str, str]]:
    """Read the question/source pairs; a malformed line is an error naming its line number."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SafeRagError(f"cannot read {path}: {exc.strerror or exc}") from None
    items = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            items.append({"question": str(obj["question"]), "source": str(obj["source"])})
        except (json.JSONDecodeError, KeyError, TypeError):
            raise SafeRagError(f"{path}:{n}: expected a JSON object with 'question' and 'source'") from None
    if not items:
        raise SafeRagError(f"{path} holds no questions")
    return items


def evaluate_retrieval(rag: SafeRag, items: list[dict[str, str]], *, k: int = 5,
                       mode: SearchMode = "hybrid", filter: str = "") -> dict[str, Any]:
    """Rank of the first chunk from the expected source in each top-k list, summarized."""
    ranks: list[int | None] = []
    for item in items:
        hits = rag.search(item["question"], k=k, mode=mode, filter=filter)
        ranks.append(next((i for i, h in enumerate(hits, 1) if h.source == item["source"]), None))
    n = len(items)
    return {
        "n": n, "mode": mode, "k": k,
        "hit@1": sum(r == 1 for r in ranks) / n,
        f"hit@{k}": sum(r is not None for r in ranks) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "misses": [it["question"] for it, r in zip(items, ranks, strict=True) if r is None],
    }
