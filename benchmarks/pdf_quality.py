"""Retrieval and answers over PDF manuals, judged by section: a hit counts when it starts on a page of the section
that answers the question (a manual is one source, so "the right source" says nothing).

  python -m benchmarks.pdf_quality [--sets octave,valgrind,nettle,bash,rexts,gnuplot,radmin,rlang,tasn1]
                                   [--answers] [--uri F] [--no-outline]

Sets (Debian's PDF manuals; each PDF is ingested alone into its own collection of ``--uri``):

- ``octave``: ``octave-doc``'s ``octave.pdf`` (1,158 pages) with the 60 questions of ``data/octave_qa.jsonl``,
  written over the HTML edition: a question's section is the bookmark whose title its HTML page is named after;
- ``valgrind``: ``valgrind``'s ``valgrind_manual.pdf.gz`` (397 pages), ``data/valgrind_pdf_qa.jsonl`` (40);
- ``nettle``: ``nettle-dev``'s ``nettle.pdf.gz`` (111 pages), ``data/nettle_pdf_qa.jsonl`` (30);
- ``bash``: ``bash-doc``'s ``bashref.pdf`` (196 pages), ``data/bash_pdf_qa.jsonl`` (30);
- ``rexts``: ``r-doc-pdf``'s ``R-exts.pdf`` (Writing R Extensions, 236 pages), ``data/rexts_pdf_qa.jsonl`` (30);
- ``gnuplot``: ``gnuplot-doc``'s ``gnuplot.pdf`` (311 pages), ``data/gnuplot_pdf_qa.jsonl`` (30).
- ``radmin``: ``r-doc-pdf``'s ``R-admin.pdf`` (R Installation and Administration, 85 pages),
  ``data/radmin_pdf_qa.jsonl`` (30);
- ``rlang``: ``r-doc-pdf``'s ``R-lang.pdf`` (R Language Definition, 69 pages), ``data/rlang_pdf_qa.jsonl`` (30);
- ``tasn1``: ``libtasn1-doc``'s ``libtasn1.pdf`` (GNU Libtasn1, 36 pages), ``data/tasn1_pdf_qa.jsonl`` (25);
- ``rintro``, ``rints``, ``rfaq``: ``r-doc-pdf``'s ``R-intro.pdf`` (An Introduction to R, 113 pages), ``R-ints.pdf``
  (R Internals, 81 pages) and ``R-FAQ.pdf`` (52 pages), ``data/rintro_pdf_qa.jsonl`` (35), ``rints_pdf_qa.jsonl``
  (30) and ``rfaq_pdf_qa.jsonl`` (30); not in the default ``--sets``;
- ``rdata``: ``r-doc-pdf``'s ``R-data.pdf`` (R Data Import/Export), ``data/rdata_pdf_qa.jsonl`` (30); not in the
  default ``--sets``.

Valgrind and Nettle were written blind (by a helper who saw no file of this repository) for rule P1
(``benchmarks/retrieval_rules.md``), Bash, R-exts and gnuplot likewise for rule P2, R-admin, R-lang and Libtasn1 for
rule P4, R-intro, R-ints and R-FAQ for rule H2, R-data for rule S1b; each line names its section by
its bookmark's title, and its answer lies between that bookmark and the next in the outline's order (the writers
were asked for the deepest such section), so a section's pages run to the next bookmark's, a subsection's included
only when it starts on the section's last page. A section's pages run
from its bookmark's page to the next bookmark's, both included; the ground truth is read from the outline here
with pypdf, apart from saferag's reading of it, so runs of different saferag versions are judged alike.
``--no-outline`` ingests a copy of each PDF written by pypdf without its outline (rule P3: a PDF without bookmarks),
still judged by the original's bookmarks. ``--answers`` also asks every question (guard off, greedy): keys named,
citations valid, and whether a cited passage's page lies in the section.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import unicodedata
from pathlib import Path

from benchmarks.retrieval_quality import parse_options

from saferag import SafeRag
from saferag.evaluate import evaluate_answers, evaluate_retrieval

HERE = Path(__file__).resolve().parent
CORPORA = HERE / ".pdf-corpora"
SETS = {
    "octave": ("/usr/share/doc/octave/octave.pdf", HERE / "data" / "octave_qa.jsonl", "octave-doc"),
    "valgrind": ("/usr/share/doc/valgrind/valgrind_manual.pdf.gz", HERE / "data" / "valgrind_pdf_qa.jsonl",
                 "valgrind"),
    "nettle": ("/usr/share/doc/nettle-dev/nettle.pdf.gz", HERE / "data" / "nettle_pdf_qa.jsonl", "nettle-dev"),
    "bash": ("/usr/share/doc/bash/bashref.pdf", HERE / "data" / "bash_pdf_qa.jsonl", "bash-doc"),
    "rexts": ("/usr/share/doc/r-doc-pdf/manual/R-exts.pdf", HERE / "data" / "rexts_pdf_qa.jsonl", "r-doc-pdf"),
    "gnuplot": ("/usr/share/doc/gnuplot/gnuplot.pdf", HERE / "data" / "gnuplot_pdf_qa.jsonl", "gnuplot-doc"),
    "radmin": ("/usr/share/doc/r-doc-pdf/manual/R-admin.pdf", HERE / "data" / "radmin_pdf_qa.jsonl", "r-doc-pdf"),
    "rlang": ("/usr/share/doc/r-doc-pdf/manual/R-lang.pdf", HERE / "data" / "rlang_pdf_qa.jsonl", "r-doc-pdf"),
    "tasn1": ("/usr/share/doc/libtasn1-doc/libtasn1.pdf", HERE / "data" / "tasn1_pdf_qa.jsonl", "libtasn1-doc"),
    "rintro": ("/usr/share/doc/r-doc-pdf/manual/R-intro.pdf", HERE / "data" / "rintro_pdf_qa.jsonl", "r-doc-pdf"),
    "rints": ("/usr/share/doc/r-doc-pdf/manual/R-ints.pdf", HERE / "data" / "rints_pdf_qa.jsonl", "r-doc-pdf"),
    "rfaq": ("/usr/share/doc/r-doc-pdf/manual/R-FAQ.pdf", HERE / "data" / "rfaq_pdf_qa.jsonl", "r-doc-pdf"),
    "rdata": ("/usr/share/doc/r-doc-pdf/manual/R-data.pdf", HERE / "data" / "rdata_pdf_qa.jsonl", "r-doc-pdf"),
}


def norm(text: str) -> str:
    """Words only, lower case, NFKC: how titles are compared. Kept here rather than imported from saferag, so the
    ground truth is the same whichever saferag version is measured (the shipped one runs from a worktree)."""
    return " ".join(re.sub(r"[^\w]+", " ", unicodedata.normalize("NFKC", text).lower()).split())


def corpus(name: str) -> Path | None:
    """A folder holding the set's PDF alone (decompressed), or None when its package is not installed."""
    src = Path(SETS[name][0])
    if not src.is_file():
        print(f"# skipped {name}: {src} is missing (apt install {SETS[name][2]})", flush=True)
        return None
    folder = CORPORA / name
    pdf = folder / src.name.removesuffix(".gz")
    if not pdf.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        with (gzip.open(src) if src.suffix == ".gz" else src.open("rb")) as f_in, pdf.open("wb") as f_out:
            shutil.copyfileobj(f_in, f_out)
    return folder


def without_outline(folder: Path) -> Path:
    """A folder holding a copy of the set's PDF written by pypdf without its outline (bookmarks): a manual as a
    PDF without bookmarks would be (rule P3). The pages and the document information (its title) are copied as they
    are, so the text is the same."""
    from pypdf import PdfReader, PdfWriter

    pdf = next(folder.glob("*.pdf"))
    bare = folder.parent / f"{folder.name}-no-outline" / pdf.name
    if not bare.is_file():
        bare.parent.mkdir(parents=True, exist_ok=True)
        reader, writer = PdfReader(pdf), PdfWriter()
        writer.append(reader, import_outline=False)
        if reader.metadata:  # the title is embedded with every chunk: keep it (P3 was judged on copies without)
            writer.add_metadata(dict(reader.metadata))
        tmp = bare.with_suffix(".part")
        with tmp.open("wb") as f:
            writer.write(f)
        tmp.rename(bare)
    return bare.parent


def bookmarks(pdf: Path) -> tuple[list[tuple[str, int]], int]:
    """Every bookmark as (normalized title, page numbered from 1), in the outline's order; and the page count."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    entries: list[tuple[str, int]] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            elif (page := reader.get_destination_page_number(item)) is not None:  # a dangling one is skipped
                entries.append((norm(str(item.title)), page + 1))

    walk(reader.outline)
    return entries, len(reader.pages)


def sections(pdf: Path) -> list[tuple[str, int, int]]:
    """Every bookmark as (normalized title, first page, last page), pages numbered from 1."""
    entries, last = bookmarks(pdf)
    return [(title, page, max(page, entries[i + 1][1]) if i + 1 < len(entries) else last)
            for i, (title, page) in enumerate(entries)]


def html_title(source: str) -> str:
    """The section title an Octave HTML page is named after ("Simple-File-I_002fO.html" -> "simple file i o")."""
    name = source.split("#")[0].removesuffix(".html")
    return norm(re.sub(r"_([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), name).replace("-", " "))


def judged(name: str, pdf: Path) -> tuple[list[dict], int]:
    """The set's questions with their section's pages (``pages``: first, last); and how many had no bookmark, or
    a title several bookmarks share (which of them answers cannot be told)."""
    by_title: dict[str, tuple[int, int] | None] = {}
    for title, first, last in sections(pdf):
        by_title[title] = None if title in by_title else (first, last)
    items, missing = [], 0
    for line in SETS[name][1].read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        title = norm(q["section"]) if "section" in q else html_title(q["source"])
        pages = by_title.get(title)
        if pages is None:
            missing += 1
            continue
        items.append({**q, "source": pdf.name, "pages": pages})
    return items, missing


def in_section(page: object, pages: tuple[int, int]) -> bool:
    """Whether a chunk starting on ``page`` lies in the section of ``pages`` (first, last)."""
    return isinstance(page, int) and pages[0] <= page <= pages[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="octave,valgrind,nettle,bash,rexts,gnuplot,radmin,rlang,tasn1")
    ap.add_argument("--uri", default=str(HERE / "pdf_docs.db"))
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--answers", action="store_true", help="also ask every question (slow: seconds an answer)")
    ap.add_argument("--option", action="append", default=[], help="a setting for this run, key=value")
    ap.add_argument("--no-outline", action="store_true",
                    help="ingest copies without bookmarks (judged by the originals' bookmarks)")
    ap.add_argument("--save", default="", help="write each answer as a JSON line here")
    args = ap.parse_args()
    options = {"guard": "off", "temperature": 0.0, "seed": 1, **parse_options(args.option)}
    saved = open(args.save, "w", encoding="utf-8") if args.save else None  # noqa: SIM115
    print(f"{'set':9} {'mode':7} {'n':>3} {'hit@1':>6} {'hit@' + str(args.k):>6} {'MRR':>6}")
    for name in args.sets.split(","):
        folder = corpus(name)
        if folder is None:
            continue
        pdf = next(folder.glob("*.pdf"))
        items, missing = judged(name, pdf)
        if args.no_outline:
            folder = without_outline(folder)  # the same file name, so the items' source stands
        collection = f"{name}_pdf_bare" if args.no_outline else f"{name}_pdf"
        with SafeRag(milvus_uri=args.uri, collection=collection, **options) as rag:
            report = rag.ingest([str(folder)])
            if report.chunks_written:
                print(f"# ingested {name}: {report.chunks_written} chunks in {report.seconds:.1f}s", flush=True)
            if missing:
                print(f"# {name}: {missing} questions name no bookmark, or a shared one; left out", flush=True)
            for mode in ("hybrid", "dense", "bm25"):
                r = evaluate_retrieval(rag, items, k=args.k, mode=mode,
                                       found=lambda hit, item: in_section(hit.metadata.get("page"), item["pages"]))
                print(f"{name:9} {mode:7} {r['n']:3d} {r['hit@1']:6.3f} {r[f'hit@{args.k}']:6.3f} {r['mrr']:6.3f}",
                      flush=True)
            if args.answers:
                cited_in = []

                def seen(item, answer, name=name, cited_in=cited_in):
                    cited_in.append(any(in_section(s.get("page"), item["pages"]) for s in answer.sources))
                    if saved:
                        saved.write(json.dumps({"set": name, **item, "answer": answer.answer,
                                                "refused": answer.refused,
                                                "sources": [[s["link"], s.get("page")] for s in answer.sources]})
                                    + "\n")
                        saved.flush()

                r = evaluate_answers(rag, items, on_answer=seen)
                print(f"{name:9} answers n {r['n']} keys {r['key_rate']:.3f} section-among-sources "
                      f"{sum(cited_in) / len(cited_in):.3f} cites {r['cites'] or 0:.3f} "
                      f"valid {r['citations_valid'] or 0:.3f} gen p50 {r['generation_s']['p50']:.2f} s "
                      f"mid {r['mid_sentence'] or 0:.3f}", flush=True)
    if saved:
        saved.close()


if __name__ == "__main__":
    main()
