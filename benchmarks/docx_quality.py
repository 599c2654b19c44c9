"""Retrieval over Word documents whose headings were set by hand (rule W1): bold lines against ``Heading N`` styles.

  python -m benchmarks.docx_quality [--sets git,bind,django,apache] [--arms bold,styled] [--uri docx.db]

No corpus of hand-formatted Word files exists on this machine, so one is made: each HTML page of a retrieval set
(``retrieval_quality.SETS``) is read by saferag's HTML reader and written with python-docx as ``x.docx``, twice:
``bold``, every heading the reader found a Normal paragraph in bold (level 1 at 16 pt, level 2 at 13 pt, deeper at
the 11 pt body size), and ``styled``, every heading in its ``Heading N`` style. A question whose page is ``x.html``
counts a hit on ``x.docx``. Each arm is ingested from empty into its own collection by the code on the path, so the
shipped code and a candidate are compared by running this twice (a worktree on ``PYTHONPATH``).

Prints, per set and arm: hit@1, hit@k and MRR per search mode; for ``bold``, the share of written headings read
back as headings (recall) and of headings read that were written (precision); and a digest of what every file read
to (text and headings), so two codes can be checked to read a set the same.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import tempfile
from collections import Counter
from pathlib import Path

from benchmarks.retrieval_quality import SETS, installed, questions

from saferag import SafeRag
from saferag.evaluate import evaluate_retrieval
from saferag.ingest.formats.office import read_docx
from saferag.ingest.headings import clean_heading
from saferag.ingest.html import html_to_text

SIZES = {1: 16, 2: 13}  # points by heading level; deeper levels at the body's 11


def page_docx(html: str, arm: str) -> tuple[bytes, list[str]]:
    """The page as a Word file in ``arm``'s way, and the headings written."""
    import docx
    from docx.shared import Pt

    page = html_to_text(html)
    d = docx.Document()
    d.styles["Normal"].font.size = Pt(11)
    written, at = [], 0
    for h in [*page.headings, None]:
        end = h.start if h else len(page.text)
        for block in page.text[at:end].split("\n\n"):
            if block.strip():
                d.add_paragraph(block.strip())
        if h is None:
            break
        heading_end = page.text.find("\n", h.start)
        at = len(page.text) if heading_end < 0 else heading_end
        text = page.text[h.start:at].strip()
        written.append(clean_heading(text))
        if arm == "styled":
            d.add_heading(text, min(h.level, 9))
        else:
            run = d.add_paragraph().add_run(text)
            run.bold = True
            run.font.size = Pt(SIZES.get(h.level, 11))
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue(), written


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="git,bind,django,apache")
    ap.add_argument("--arms", default="bold,styled")
    ap.add_argument("--uri", default="")
    ap.add_argument("--modes", default="hybrid,dense,bm25")
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()
    print(f"{'set':7} {'arm':6} {'mode':7} {'n':>3} {'hit@1':>6} {f'hit@{args.k}':>6} {'MRR':>6}  ingest")
    with tempfile.TemporaryDirectory() as tmp:
        uri = args.uri or str(Path(tmp) / "docx.db")
        for name in args.sets.split(","):
            folder, glob, qa, _ = SETS[name]
            if not installed(name, folder):
                continue
            pages = sorted(Path(folder).glob(glob or "**/*.html"))
            for arm in args.arms.split(","):
                out = Path(tmp) / f"{name}-{arm}"
                written_all, read_all, digest = Counter[str](), Counter[str](), hashlib.sha256()
                for page in pages:
                    rel = page.relative_to(folder).with_suffix(".docx")
                    data, written = page_docx(page.read_text(encoding="utf-8", errors="replace"), arm)
                    (out / rel).parent.mkdir(parents=True, exist_ok=True)
                    (out / rel).write_bytes(data)
                    doc = read_docx(data, rel.as_posix(), 1 << 30)
                    written_all.update(written)
                    read_all.update(h.text for h in doc.headings)
                    digest.update(repr((doc.text, doc.title, doc.headings)).encode())
                both = sum((written_all & read_all).values())
                print(f"# {name} {arm}: {len(pages)} pages; headings written {sum(written_all.values())}, read "
                      f"{sum(read_all.values())}, recall {both / max(1, sum(written_all.values())):.3f}, precision "
                      f"{both / max(1, sum(read_all.values())):.3f}; digest {digest.hexdigest()[:12]}", flush=True)
                items = [dict(q, source=q["source"][: -len(".html")] + ".docx") for q in questions(qa)
                         if q["source"].endswith(".html")]
                with SafeRag(milvus_uri=uri, collection=f"{name}_{arm}", guard="off") as rag:
                    report = rag.ingest([str(out)])
                    for mode in args.modes.split(","):
                        r = evaluate_retrieval(rag, items, k=args.k, mode=mode)
                        print(f"{name:7} {arm:6} {mode:7} {r['n']:3d} {r['hit@1']:6.3f} {r[f'hit@{args.k}']:6.3f} "
                              f"{r['mrr']:6.3f}  {report.documents} docs, {report.chunks_written} chunks, "
                              f"{len(report.failed)} failed, {report.seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
