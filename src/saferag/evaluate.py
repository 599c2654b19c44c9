"""Evaluation: retrieval (hit@1, hit@k, MRR), answers (keys, citations, refusals, latency) and the guard."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from saferag.echo import opens_mid_sentence
from saferag.errors import SafeRagError
from saferag.rag import SafeRag
from saferag.types import Hit, SearchMode


def load_qa(path: str | Path, *, keys: bool = False) -> list[dict[str, Any]]:
    """Read the question/source pairs (and, with ``keys``, each line's ``key``: strings of which a correct
    answer contains one); a malformed line is an error naming its line number."""
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
            item: dict[str, Any] = {"question": str(obj["question"]), "source": str(obj["source"])}
            if keys:
                key = obj["key"]
                item["key"] = [key] if isinstance(key, str) else [str(x) for x in key]
                if not item["key"]:
                    raise KeyError("key")
            items.append(item)
        except (json.JSONDecodeError, KeyError, TypeError):
            need = "'question', 'source' and a non-empty 'key'" if keys else "'question' and 'source'"
            raise SafeRagError(f"{path}:{n}: expected a JSON object with {need}") from None
    if not items:
        raise SafeRagError(f"{path} holds no questions")
    return items


def evaluate_retrieval(rag: SafeRag, items: list[dict[str, Any]], *, k: int = 5, mode: SearchMode = "hybrid",
                       filter: str = "", found: Callable[[Hit, dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """Rank of the first chunk from the expected source in each top-k list, summarized. ``found(hit, item)`` says
    what counts instead of the expected source (a section's pages, for one PDF that is a whole manual)."""
    found = found or (lambda hit, item: hit.source == item["source"])
    ranks: list[int | None] = []
    for item in items:
        hits = rag.search(item["question"], k=k, mode=mode, filter=filter)
        ranks.append(next((i for i, h in enumerate(hits, 1) if found(h, item)), None))
    n = len(items)
    return {
        "n": n, "mode": mode, "k": k,
        "hit@1": sum(r == 1 for r in ranks) / n,
        f"hit@{k}": sum(r is not None for r in ranks) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "misses": [it["question"] for it, r in zip(items, ranks, strict=True) if r is None],
    }


_CITATION = re.compile(r"\[(\d+)\]")
#: Code in an answer (fenced blocks, an unclosed one to the end, and inline spans), where ``[1]`` is an index
#: (``ax[1]``, ``In [16]:``), not a citation.
_CODE = re.compile(r"(`{3,}|~{3,})[\s\S]*?(?:\1|$)|`[^`\n]*`")


def cited(answer: str) -> list[int]:
    """The passage numbers an answer cites as ``[n]``, outside its code."""
    return [int(n) for n in _CITATION.findall(_CODE.sub(" ", answer))]


def percentile(values: Sequence[float], q: float) -> float:
    """The value at fraction ``q`` of ``values`` sorted (nearest rank, no interpolation); 0.0 for none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def evaluate_answers(rag: SafeRag, items: list[dict[str, Any]], *, k: int | None = None,
                     on_answer: Any = None) -> dict[str, Any]:
    """Ask every question and score the answers: is the expected source among those given, does the answer
    contain one of its keys (case-insensitive), does every ``[n]`` it cites name a returned source, does it open
    inside a sentence (a passage copied from mid-sentence), was it refused; with latency percentiles.
    ``on_answer(item, answer)`` sees each answer as it comes."""
    rows: list[dict[str, Any]] = []
    for item in items:
        t0 = time.perf_counter()
        answer = rag.ask(item["question"], k=k)
        seconds = time.perf_counter() - t0
        text = answer.answer.lower()
        numbers = {s["citation"] for s in answer.sources}
        marks = cited(answer.answer)
        rows.append({
            "question": item["question"], "source": item["source"], "answer": answer.answer,
            "refused": answer.refused,
            "source_hit": any(s["source"] == item["source"] for s in answer.sources),
            "key_hit": not answer.refused and any(key.lower() in text for key in item["key"]),
            "cites": bool(marks), "citations_valid": all(n in numbers for n in marks),
            "mid_sentence": not answer.refused and opens_mid_sentence(answer.answer),
            "seconds": seconds, "generation": answer.timings.get("generation", 0.0)})
        if on_answer is not None:
            on_answer(item, answer)
    n = len(rows)
    answered = [r for r in rows if not r["refused"]]
    share = (lambda key, among: sum(r[key] for r in among) / len(among) if among else None)  # noqa: E731
    generation = [r["generation"] for r in answered]
    return {
        "n": n, "k": k or rag.settings.answer_k,
        "source_hit": share("source_hit", rows), "key_rate": share("key_hit", rows),
        "refused": sum(r["refused"] for r in rows),
        "cites": share("cites", answered), "citations_valid": share("citations_valid", answered),
        "mid_sentence": share("mid_sentence", answered),
        "latency_s": {"p50": percentile([r["seconds"] for r in rows], 0.5),
                      "p95": percentile([r["seconds"] for r in rows], 0.95)},
        "generation_s": {"p50": statistics.median(generation) if generation else 0.0,
                         "p95": percentile(generation, 0.95)},
        "answers": rows,
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
    pairs, latencies, errors = [], [], 0
    groups: dict[str, list[tuple[bool, bool]]] = {}
    predicted: dict[str, int] = {}
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
