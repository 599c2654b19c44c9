"""Retrieval over static sites' Markdown with their template tags read as text or left out (rule SC1).

  python -m benchmarks.template_tags_quality --corpus hugo=PATH --corpus jekyll=PATH [--uri sc.db] [--arms kept,gone]

Each corpus has a question set written blind (``benchmarks/data/{hugo,jekyll}_qa.jsonl``):
- ``hugo``: ``content/en`` of gohugoio/hugoDocs at 1c613349f422 (992 .md pages; shortcodes);
- ``jekyll``: ``docs/_docs`` and ``docs/_tutorials`` of jekyll/jekyll at 202df5713 (100 .md pages; Liquid).
Each corpus is ingested twice, into its own collection per arm of one Milvus Lite file: ``kept`` reads the tags as
text (``template_tags.TEMPLATE_TAGS`` off), ``gone`` leaves them out. Before each arm it prints how many tags its
read text still holds outside fenced code, and on how many pages.
"""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.rst_quality import score_corpora
from saferag.ingest import extract, template_tags
from saferag.ingest.headings import outside_code

_ANY_TAG = re.compile(r"\{\{[<%]|\{%|\{\{-?\s*(?:site|page|include|layout|post|paginator|jekyll|content)\b")


def kept_or_gone(name: str, arm: str, folder: Path, tmp: Path) -> Path:
    """The corpus itself, read with its template tags as text (``kept``) or without them (``gone``)."""
    template_tags.TEMPLATE_TAGS = arm == "gone"
    tags = pages = 0
    for path in sorted(folder.rglob("*.md*")):
        text = extract.markdown_document(path.read_text(encoding="utf-8", errors="replace"), str(path)).text
        found = _tags_outside_code(text)
        tags += found
        pages += found > 0
    print(f"# {name} {arm}: {tags} template tags outside code in {pages} pages")
    return folder


def _tags_outside_code(text: str) -> int:
    counts: list[int] = []
    outside_code(text, lambda run: counts.append(len(_ANY_TAG.findall(run))) or run)
    return sum(counts)


def main() -> None:
    score_corpora("kept,gone", "sc.db", kept_or_gone)


if __name__ == "__main__":
    main()
