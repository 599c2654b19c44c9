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


def load_labeled(path: str | Path) -> list[dict[str, str]]:
    """Prompts labeled ``safe``/``unsafe`` from CSV (header ``prompt,label``) or JSONL.

    An optional ``category`` (or XSTest's ``type``) column groups the per-category report.
    """
    import csv

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SafeRagError(f"cannot read {path}: {exc.strerror or exc}") from None
    if p.suffix.lower() in (".jsonl", ".json"):
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    raise SafeRagError(f"{path}:{n}: not a JSON object") from None
    else:
        rows = list(csv.DictReader(text.splitlines()))
    items = []
    for n, row in enumerate(rows, 1):
        label = str(row.get("label", "")).strip().lower() if isinstance(row, dict) else ""
        if not isinstance(row, dict) or not row.get("prompt") or label not in ("safe", "unsafe"):
            raise SafeRagError(f"{path}: row {n}: expected 'prompt' and a 'label' of safe or unsafe")
        items.append({"prompt": str(row["prompt"]), "label": label,
                      "category": str(row.get("category") or row.get("type") or "")})
    if not items:
        raise SafeRagError(f"{path} holds no prompts")
    return items


def _scores(pairs: list[tuple[bool, bool]]) -> dict[str, Any]:
    """Precision, recall, F1 and false-positive rate of (truly unsafe, flagged) pairs; None where undefined."""
    tp = sum(t and f for t, f in pairs)
    fp = sum(f and not t for t, f in pairs)
    fn = sum(t and not f for t, f in pairs)
    pos, neg = tp + fn, len(pairs) - tp - fn
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / pos if pos else None
    f1 = (2 * precision * recall / (precision + recall) if precision and recall else
          (0.0 if precision is not None and recall is not None else None))
    return {"n": len(pairs), "unsafe": pos, "safe": neg, "precision": precision, "recall": recall, "f1": f1,
            "false_positive_rate": fp / neg if neg else None}


def evaluate_guard(rag: SafeRag, items: list[dict[str, str]]) -> dict[str, Any]:
    """Screen every prompt (role user) and score the verdicts against the labels.

    A guard failure counts as a refusal (what the pipeline does when failing closed).
    """
    pairs, latencies, errors, groups, predicted = [], [], 0, {}, {}
    for item in items:
        verdict = rag.screen(item["prompt"])
        flagged = not verdict.safe
        errors += bool(verdict.error)
        latencies.append(verdict.latency)
        pair = (item["label"] == "unsafe", flagged)
        pairs.append(pair)
        groups.setdefault(item["category"] or "all", []).append(pair)
        for c in verdict.categories:
            predicted[c.code] = predicted.get(c.code, 0) + 1
    latencies.sort()
    result = _scores(pairs)
    result.update(guard=rag.settings.guard, errors=errors,
                  latency_ms={"p50": 1000 * latencies[len(latencies) // 2],
                              "p95": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]},
                  per_category={name: _scores(g) for name, g in sorted(groups.items())},
                  predicted_categories=dict(sorted(predicted.items(), key=lambda kv: int(kv[0][1:]))))
    return result
