"""How many of a PDF manual's bookmarks saferag finds as headings when the file has none (rule P3): each manual of
``pdf_quality`` is read from its copy without an outline, and its headings are compared with the original's
bookmarks (same page, same words, a section number before the words allowed).

  python -m benchmarks.pdf_headings [--sets octave,valgrind,nettle,bash,rexts,gnuplot] [--show N]

Prints per manual: bookmarks, headings found, bookmarks found as headings (recall), headings that are bookmarks
(precision), levels used, and the read's seconds; ``--show N`` lists N headings that are not bookmarks and N
bookmarks not found.
"""

from __future__ import annotations

import argparse
import re
import time

from benchmarks.pdf_quality import bookmarks, corpus, norm, without_outline

from saferag.ingest.formats.pdf import read_pdf


def unnumbered(title: str) -> str:
    return re.sub(r"^(?:(?:chapter|appendix|section) )?(?:[0-9]+|[a-z])(?: [0-9]+)* ", "", title)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="octave,valgrind,nettle,bash,rexts,gnuplot")
    ap.add_argument("--show", type=int, default=0)
    args = ap.parse_args()
    print(f"{'set':9} {'marks':>6} {'heads':>6} {'recall':>7} {'precis':>7} {'levels':>6} {'read s':>7}")
    for name in args.sets.split(","):
        folder = corpus(name)
        if folder is None:
            continue
        marks = bookmarks(next(folder.glob("*.pdf")))[0]
        bare = next(without_outline(folder).glob("*.pdf"))
        t0 = time.perf_counter()
        doc = read_pdf(bare.read_bytes(), bare.name)
        seconds = time.perf_counter() - t0
        starts = doc.page_starts
        heads = []
        for h in doc.headings:
            page = sum(1 for s in starts if s <= h.start)
            heads.append((norm(h.text), page, h.level))
        wanted = {(t, p) for t, p in marks}
        got = {(t, p) for t, p, _ in heads} | {(unnumbered(t), p) for t, p, _ in heads}
        hits = [m for m in marks if m in got]
        true_heads = [h for h in heads if (h[0], h[1]) in wanted or (unnumbered(h[0]), h[1]) in wanted]
        levels = len({lv for _, _, lv in heads})
        print(f"{name:9} {len(marks):6d} {len(heads):6d} {len(hits) / max(1, len(marks)):7.3f} "
              f"{len(true_heads) / max(1, len(heads)):7.3f} {levels:6d} {seconds:7.1f}", flush=True)
        if args.show:
            print("  not bookmarks:", [h for h in heads if h not in true_heads][:args.show])
            print("  not found:", [m for m in marks if m not in got][:args.show])


if __name__ == "__main__":
    main()
