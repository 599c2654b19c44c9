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

from pathlib import Path

from benchmarks.rst_quality import score_corpora
from saferag.ingest import extract


def text_or_meta(name: str, arm: str, folder: Path, tmp: Path) -> Path:
    """The corpus itself, read with its front matter as text (``text``) or as metadata (``meta``)."""
    extract.FRONT_MATTER = arm == "meta"
    return folder


def main() -> None:
    score_corpora("text,meta", "fm.db", text_or_meta)


if __name__ == "__main__":
    main()
