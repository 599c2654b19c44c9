"""Retrieval over Word, OpenDocument and Markdown documents whose headings were set by hand (rules W1b, O1 and W2):
bold lines against ``Heading N`` styles, ``text:h`` or ``#`` lines.

  python -m benchmarks.docx_quality [--format docx|odt|md|pdf] [--sets git,bind,django,apache] [--arms bold,styled]
                                    [--uri docx.db] [--no-ingest]

No corpus of hand-formatted Word files exists on this machine, so one is made: each HTML page of a retrieval set
(``retrieval_quality.SETS``, subfolders included) is read by saferag's HTML reader and written with python-docx as
``x.docx``, twice: ``bold``, every heading the reader found a Normal paragraph in bold (level 1 at 16 pt, level 2 at
13 pt, deeper at the 11 pt body size), and ``styled``, every heading in its ``Heading N`` style. With ``--format md``
the copies are Markdown: a heading is a ``**bold**`` line (``bold``) or a ``#`` line of its level, at most six
(``styled``). With ``--format odt``, OpenDocument copies as ``page_odt`` says; with ``--format pdf`` (arm
``bold`` only), the page printed to PDF by headless Chromium as ``Printer.pdf`` says (rule P5), kept in
``--pdf-cache`` for the next run. A question whose page is ``x.html``
counts a hit on ``x.docx`` (``x.md``, ``x.odt``, ``x.pdf``). Each arm is ingested from
empty into its own collection by the code on the path, so the shipped code and a candidate are compared by running
this twice (a worktree on ``PYTHONPATH``).

Prints, per set and arm: hit@1, hit@k and MRR per search mode; for ``bold``, the share of written headings read
back as headings (recall) and of headings read that were written (precision); and a digest of what every file read
to (text and headings), so two codes can be checked to read a set the same.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import shutil
import tempfile
import unicodedata
from html import escape
from collections import Counter
from pathlib import Path

from benchmarks.retrieval_quality import SETS, installed, questions
from benchmarks.rst_quality import score

from saferag.ingest.document import Document
from saferag.ingest.formats.office import read_docx
from saferag.ingest.formats.opendocument import read_odt
from saferag.ingest.formats.pdf import read_pdf
from saferag.ingest.headings import clean_heading, markdown_headings
from saferag.ingest.html import html_to_text

SIZES = {1: 16, 2: 13}  # points by heading level; deeper levels at the body's 11


def page_blocks(html: str) -> list[tuple[int, str]]:
    """The page's blocks as the HTML reader reads them: (heading level, text), level 0 for body text."""
    page = html_to_text(html)
    blocks, at = [], 0
    for h in [*page.headings, None]:
        end = h.start if h else len(page.text)
        blocks += [(0, block.strip()) for block in page.text[at:end].split("\n\n") if block.strip()]
        if h is None:
            return blocks
        heading_end = page.text.find("\n", h.start)
        at = len(page.text) if heading_end < 0 else heading_end
        blocks.append((h.level, page.text[h.start:at].strip()))
    return blocks


def page_docx(html: str, arm: str) -> tuple[bytes, list[str]]:
    """The page as a Word file in ``arm``'s way, and the headings written."""
    import docx
    from docx.shared import Pt

    d = docx.Document()
    d.styles["Normal"].font.size = Pt(11)
    written = []
    for level, text in page_blocks(html):
        if not level:
            d.add_paragraph(text)
            continue
        written.append(clean_heading(text))
        if arm == "styled":
            d.add_heading(text, min(level, 9))
        else:
            run = d.add_paragraph().add_run(text)
            run.bold = True
            run.font.size = Pt(SIZES.get(level, 11))
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue(), written


def page_odt(html: str, arm: str) -> tuple[bytes, list[str]]:
    """The page as an OpenDocument text in ``arm``'s way (rule O1): ``bold``, level-1 and level-2 headings in an
    automatic paragraph style (bold, 16 and 13 pt), deeper ones a Standard paragraph of one bold span; ``styled``,
    ``text:h`` of the heading's level; body paragraphs Standard at an 11 pt default. Returns the headings written."""
    from odf.opendocument import OpenDocumentText
    from odf.style import DefaultStyle, Style, TextProperties
    from odf.text import H, P, Span

    doc = OpenDocumentText()
    default = DefaultStyle(family="paragraph")
    default.addElement(TextProperties(fontsize="11pt"))
    doc.styles.addElement(default)
    standard = Style(name="Standard", family="paragraph")
    doc.styles.addElement(standard)
    auto = {}
    for name, family, size in (("P1", "paragraph", "16pt"), ("P2", "paragraph", "13pt"), ("T1", "text", "")):
        auto[name] = Style(name=name, family=family, **({"parentstylename": "Standard"} if size else {}))
        auto[name].addElement(TextProperties(fontweight="bold", **({"fontsize": size} if size else {})))
        doc.automaticstyles.addElement(auto[name])
    written = []
    for level, text in page_blocks(html):
        if not level:
            doc.text.addElement(P(stylename=standard, text=text))
            continue
        written.append(clean_heading(text))
        if arm == "styled":
            doc.text.addElement(H(outlinelevel=min(level, 10), text=text))
        elif level <= 2:
            doc.text.addElement(P(stylename=auto[f"P{level}"], text=text))
        else:
            p = P(stylename=standard)
            p.addElement(Span(stylename=auto["T1"], text=text))
            doc.text.addElement(p)
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue(), written


class Printer:
    """Headless Chromium (Playwright, as the web page's tests drive it) printing HTML to PDF, one browser for all
    pages; a printed copy is kept in ``cache`` and reused, so two codes read the same bytes."""

    def __init__(self, cache: Path) -> None:
        self.cache, self._page, self._stop = cache, None, None

    def pdf(self, html: str, arm: str, rel: Path) -> tuple[bytes, list[str]]:
        """The page printed (rule P5's copies): body paragraphs at 11 pt, level-1 headings bold 16 pt, level 2 bold
        13 pt, deeper ones bold 11 pt; no outline. Returns the PDF and the headings written."""
        blocks = page_blocks(html)
        written = [clean_heading(text) for level, text in blocks if level]
        path = self.cache / arm / rel
        if not path.exists():
            parts = []
            for level, text in blocks:
                style = f"font-size:{SIZES.get(level, 11)}pt;font-weight:bold" if level else ""
                parts.append(f'<p style="{style}">{escape(text)}</p>')
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(self._print("".join(parts)))
        return path.read_bytes(), written

    def _print(self, body: str) -> bytes:
        if self._page is None:
            from playwright.sync_api import sync_playwright

            self._stop = sync_playwright().start()
            browser = self._stop.chromium.launch(executable_path=shutil.which("chromium"))
            self._page = browser.new_page()
        self._page.set_content("<html><body style=\"font-family:sans-serif;font-size:11pt;white-space:pre-wrap\">"
                               f"{body}</body></html>")
        return self._page.pdf(format="A4")

    def close(self) -> None:
        if self._stop is not None:
            self._stop.stop()


def _same_pdf(text: str) -> str:
    """A heading's letters as printed and read back: pypdf gives ligatures ("ﬁ") and may space a line's words
    differently."""
    return _letters(unicodedata.normalize("NFKC", text))


def page_md(html: str, arm: str, escape: bool = False) -> tuple[bytes, list[str]]:
    """The page as a Markdown file in ``arm``'s way, and the headings written: their words as an author would write
    them, or with ``*`` and ``_`` escaped (``escape``, as rule W2's copies were made)."""
    lines, written = [], []
    for level, text in page_blocks(html):
        if level:
            words = " ".join(text.split())
            if escape:
                words = words.replace("*", "\\*").replace("_", "\\_")
            written.append(clean_heading(" ".join(text.split())))
            text = f"{'#' * min(level, 6)} {words}" if arm == "styled" else f"**{words}**"
        elif _MARKUP.search(text):
            text = f"```\n{text}\n```"  # a block with lines Markdown would read as headings: code, fenced
        lines.append(text)
    return "\n\n".join(lines).encode() + b"\n", written


def _letters(text: str) -> str:
    """A heading's letters and digits alone: how a Markdown heading read (escapes, ``*`` and ``_`` dropped) is
    compared with the words written."""
    return re.sub(r"[\W_]+", "", text.lower())


_MARKUP = re.compile(r"^ {0,3}(?:#|=+\s*$|-+\s*$|```|~~~)", re.MULTILINE)


def read_md(data: bytes) -> Document:
    text = data.decode().strip()
    return Document("x.md", "markdown", text, "", headings=markdown_headings(text))


def write_copy(fmt: str, html: str, arm: str, md_escape: bool, printer: Printer, rel: Path) -> tuple[bytes, list[str]]:
    """The page made into a copy of format ``fmt`` in ``arm``'s way, and the headings written."""
    if fmt == "md":
        return page_md(html, arm, md_escape)
    if fmt == "pdf":
        return printer.pdf(html, arm, rel)
    return (page_odt if fmt == "odt" else page_docx)(html, arm)


def read_copy(fmt: str, data: bytes, name: str) -> Document:
    """A copy read as saferag reads a file of its format (the code on the path)."""
    if fmt == "md":
        return read_md(data)
    if fmt == "pdf":
        return read_pdf(data, name, use_ocr=False)
    return (read_odt if fmt == "odt" else read_docx)(data, name, 1 << 30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--format", choices=["docx", "md", "odt", "pdf"], default="docx")
    ap.add_argument("--pdf-cache", default="/tmp/saferag-printed", help="where printed PDF copies are kept")
    ap.add_argument("--sets", default="git,bind,django,apache")
    ap.add_argument("--arms", default="bold,styled")
    ap.add_argument("--no-ingest", action="store_true", help="only make the copies and count their headings")
    ap.add_argument("--md-escape", action="store_true", help="escape * and _ in Markdown headings (rule W2's copies)")
    ap.add_argument("--uri", default="")
    ap.add_argument("--modes", default="hybrid,dense,bm25")
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()
    print(f"{'set':8} {'arm':6} {'mode':7} {'n':>3} {'hit@1':>6} {f'hit@{args.k}':>6} {'MRR':>6}  ingest")
    printer = Printer(Path(args.pdf_cache))
    with tempfile.TemporaryDirectory() as tmp:
        uri = args.uri or str(Path(tmp) / "docx.db")
        for name in args.sets.split(","):
            folder, glob, qa, _ = SETS[name]
            if not installed(name, folder):
                continue
            pages = sorted(Path(folder).rglob(glob or "*.html"))  # as ``ingest(glob=...)`` finds them
            for arm in args.arms.split(","):
                out = Path(tmp) / f"{name}-{arm}"
                written_all, read_all, digest = Counter[str](), Counter[str](), hashlib.sha256()
                exact, places = 0, hashlib.sha256()  # headings read as written, word for word; where they are
                for page in pages:
                    rel = page.relative_to(folder).with_suffix(f".{args.format}")
                    html = page.read_text(encoding="utf-8", errors="replace")
                    data, written = write_copy(args.format, html, arm, args.md_escape, printer, Path(name) / rel)
                    (out / rel).parent.mkdir(parents=True, exist_ok=True)
                    (out / rel).write_bytes(data)
                    doc = read_copy(args.format, data, rel.as_posix())
                    # Markdown headings drop `*` and `_`; a PDF's come back with ligatures
                    same = {"md": _letters, "pdf": _same_pdf}.get(args.format, str)
                    written_all.update(map(same, written))
                    read_all.update(same(h.text) for h in doc.headings)
                    digest.update(repr((doc.text, doc.title, doc.headings)).encode())
                    places.update(repr([(h.start, h.level) for h in doc.headings]).encode())
                    exact += sum((Counter(written) & Counter(h.text for h in doc.headings)).values())
                both = sum((written_all & read_all).values())
                print(f"# {name} {arm}: {len(pages)} pages; headings written {sum(written_all.values())}, read "
                      f"{sum(read_all.values())}, recall {both / max(1, sum(written_all.values())):.3f}, precision "
                      f"{both / max(1, sum(read_all.values())):.3f}, read word for word {exact}; digest "
                      f"{digest.hexdigest()[:12]}, places {places.hexdigest()[:12]}", flush=True)
                if args.no_ingest:
                    continue
                items = [dict(q, source=q["source"][: -len(".html")] + f".{args.format}") for q in questions(qa)
                         if q["source"].endswith(".html")]
                score(uri, name, arm, out, items, args.modes, args.k)
    printer.close()


if __name__ == "__main__":
    main()
