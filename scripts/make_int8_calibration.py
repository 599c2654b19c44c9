"""Write the passages that calibrate the int8 embedder (``src/saferag/data/int8_calibration.json``).

  python -m scripts.make_int8_calibration

They are saferag's own documentation (README.md and docs/*.md, our text, no licence question), chunked and
titled as ingest embeds chunks, every n-th of them so that each page is represented. A fixed file, written once
and committed, so that every machine quantizes the same model from the same data; none of the retrieval
evaluation corpora (SQLite, PostgreSQL, git, the Python reference) is in it.
"""

from __future__ import annotations

import json
from pathlib import Path

from saferag.ingest.extract import to_text
from saferag.ingest.prepare import chunk_metadata
from saferag.ingest.sources import DocumentRef, RawDocument
from saferag.ingest.splitter import split
from saferag.ingest.write import embedding_text

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "saferag" / "data" / "int8_calibration.json"
COUNT = 320


def passages() -> list[str]:
    """Every chunk of the README and docs/*.md, as ingest would embed it."""
    texts: list[str] = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        doc = to_text(RawDocument(DocumentRef(path.name, str(path), "markdown"), path.read_bytes(), "markdown"))
        texts += [embedding_text(c.text, chunk_metadata(doc, c)) for c in split(doc.text, kind="markdown")]
    return texts


def main() -> None:
    texts = passages()
    step = max(1, len(texts) // COUNT)
    chosen = texts[::step][:COUNT]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(chosen, indent=0, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} of {len(texts)} passages → {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
