"""Retrieval over reStructuredText sources: the RST reader against the same files read as plain text (rule R1).

  python -m benchmarks.rst_quality [--sets rsyslog,knot,cmake] [--uri rst.db] [--modes hybrid,dense,bm25]

Three Debian manuals ship their Sphinx sources beside the HTML (``_sources/**/*.rst.txt``), and each has a question
set written blind for its HTML pages (``benchmarks/data/{rsyslog,knot,cmake}_qa.jsonl``). Each source tree is copied
twice, as ``x.rst`` (read by ``ingest/formats/rst.py``) and as ``x.txt`` (plain text: what naming the files gave
before), a question whose page is ``x.html`` counts a hit on ``x.rst`` or ``x.txt``, and both copies are ingested
into their own collections of a fresh Milvus Lite file. Questions whose page has no source file are left out.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from saferag import SafeRag
from saferag.evaluate import evaluate_retrieval, load_qa

HERE = Path(__file__).resolve().parent
#: name → the folder of its Sphinx sources
SOURCES = {"rsyslog": "/usr/share/doc/rsyslog-doc/html/_sources", "knot": "/usr/share/doc/knot-doc/_sources",
           "cmake": "/usr/share/doc/cmake-data/html/_sources"}


def copy_as(src: Path, dest: Path, suffix: str) -> set[str]:
    """Every ``*.rst.txt`` under ``src`` copied under ``dest`` as ``*{suffix}``; the pages they are (``x.html``)."""
    pages = set()
    for f in sorted(src.rglob("*.rst.txt")):
        rel = f.relative_to(src).as_posix()[: -len(".rst.txt")]
        out = dest / f"{rel}{suffix}"
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, out)
        pages.add(f"{rel}.html")
    return pages


def score(uri: str, name: str, arm: str, folder: Path, items: list[dict], modes: str, k: int) -> None:
    """``folder`` ingested from empty into collection ``{name}_{arm}`` of ``uri`` (guard off), then one line per
    search mode: hit@1, hit@k and MRR of ``items``, and what the ingest did."""
    with SafeRag(milvus_uri=uri, collection=f"{name}_{arm}", guard="off") as rag:
        report = rag.ingest([str(folder)])
        for mode in modes.split(","):
            r = evaluate_retrieval(rag, items, k=k, mode=mode)
            print(f"{name:8} {arm:6} {mode:7} {r['n']:3d} {r['hit@1']:6.3f} {r[f'hit@{k}']:6.3f} {r['mrr']:6.3f}  "
                  f"{report.documents} docs, {report.chunks_written} chunks, {len(report.failed)} failed, "
                  f"{report.seconds:.0f} s", flush=True)


def score_corpora(default_arms: str, db: str, prepare: Callable[[str, str, Path, Path], Path]) -> None:
    """The command line of the benchmarks that ingest named corpora in arms (``notebook_quality``,
    ``frontmatter_quality``): ``--corpus name=folder`` (its questions in ``data/{name}_qa.jsonl``), ``--uri``,
    ``--modes``, ``--arms``, ``-k``. ``prepare(name, arm, folder, tmp)`` readies an arm and gives the folder to
    ingest; each arm is scored in collection ``{name}_{arm}`` (``score``)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", action="append", required=True, help="name=folder")
    ap.add_argument("--uri", default="")
    ap.add_argument("--modes", default="hybrid,dense,bm25")
    ap.add_argument("--arms", default=default_arms)
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()
    print(f"{'set':8} {'arm':6} {'mode':7} {'n':>3} {'hit@1':>6} {f'hit@{args.k}':>6} {'MRR':>6}  ingest")
    with tempfile.TemporaryDirectory() as tmp:
        uri = args.uri or str(Path(tmp) / db)
        for spec in args.corpus:
            name, _, folder = spec.partition("=")
            items = load_qa(HERE / "data" / f"{name}_qa.jsonl")
            for arm in args.arms.split(","):
                score(uri, name, arm, prepare(name, arm, Path(folder), Path(tmp)), items, args.modes, args.k)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default=",".join(SOURCES))
    ap.add_argument("--uri", default="")
    ap.add_argument("--modes", default="hybrid,dense,bm25")
    ap.add_argument("--arms", default="rst,txt")
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()
    print(f"{'set':8} {'arm':6} {'mode':7} {'n':>3} {'hit@1':>6} {f'hit@{args.k}':>6} {'MRR':>6}  ingest")
    with tempfile.TemporaryDirectory() as tmp:
        uri = args.uri or str(Path(tmp) / "rst.db")
        for name in args.sets.split(","):
            src = Path(SOURCES[name])
            if not src.is_dir():
                print(f"# skipped {name}: {src} is missing")
                continue
            for arm in args.arms.split(","):
                folder = Path(tmp) / f"{name}-{arm}"
                pages = copy_as(src, folder, f".{arm}")
                items = [dict(q, source=q["source"][: -len(".html")] + f".{arm}")
                         for q in load_qa(HERE / "data" / f"{name}_qa.jsonl") if q["source"] in pages]
                score(uri, name, arm, folder, items, args.modes, args.k)


if __name__ == "__main__":
    main()
