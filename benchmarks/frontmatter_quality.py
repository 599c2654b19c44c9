"""Retrieval over Markdown sites: front matter read as text (the reader before rule FM1) or as the page's metadata.

  python -m benchmarks.frontmatter_quality --corpus hugo=PATH --corpus astro=PATH [--uri fm.db] [--arms text,meta]

The corpora are two documentation sites kept as Markdown, each with a question set written blind for rule FM1
(``benchmarks/data/{hugo,astro}_qa.jsonl``):
- ``hugo``: ``content/en`` of gohugoio/hugoDocs at 1c613349f422 (992 .md pages, YAML front matter on every one);
- ``astro``: ``src/content/docs/en`` of withastro/docs at 741c1b89ba13 (420 .mdx pages).
Each corpus is ingested twice, into its own collection per arm of one Milvus Lite file: ``text`` reads the front
matter as the page's first lines (``extract.FRONT_MATTER`` off), ``meta`` as its title and description.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.rst_quality import score
from saferag.evaluate import load_qa
from saferag.ingest import extract

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", action="append", required=True, help="name=folder (hugo, astro)")
    ap.add_argument("--uri", default="")
    ap.add_argument("--modes", default="hybrid,dense,bm25")
    ap.add_argument("--arms", default="text,meta")
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()
    print(f"{'set':8} {'arm':6} {'mode':7} {'n':>3} {'hit@1':>6} {f'hit@{args.k}':>6} {'MRR':>6}  ingest")
    with tempfile.TemporaryDirectory() as tmp:
        uri = args.uri or str(Path(tmp) / "fm.db")
        for spec in args.corpus:
            name, _, folder = spec.partition("=")
            items = load_qa(HERE / "data" / f"{name}_qa.jsonl")
            for arm in args.arms.split(","):
                extract.FRONT_MATTER = arm == "meta"
                score(uri, name, arm, Path(folder), items, args.modes, args.k)


if __name__ == "__main__":
    main()
