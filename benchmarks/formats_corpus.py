"""The corpus of ``benchmarks/formats.py``: one file per format, written by the format's own writer library
(python-docx, python-pptx, openpyxl, odfpy, ebooklib, email, csv), with what each holds (sentences, headings,
table rows) for scoring, and long files for time and memory."""

from __future__ import annotations

import json
from pathlib import Path


FORMATS = ["docx", "pptx", "xlsx", "odt", "odp", "ods", "epub", "eml", "csv", "scan"]
FILES = {fmt: f"sample.{fmt}" for fmt in FORMATS} | {"scan": "scan.pdf"}
LONG = ["docx", "pptx", "xlsx", "odt"]
WORDS = ("ledger invoice harbour ferry warehouse pallet audit badge compost orchard turbine valve gasket "
         "schedule roster permit canteen parking server backup generator").split()


def sentences(n: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    return [f"Sentence {seed}-{i}: the " + " ".join(rng.choice(WORDS) for _ in range(9)) + f" closes item {seed}{i}."
            for i in range(n)]


def make_corpus(folder: Path) -> dict:
    """Writes one file per format (and the long ones); returns the truth: sentences, headings, table rows."""
    import csv
    import io
    from email.message import EmailMessage

    import docx
    import ebooklib.epub as epub
    import openpyxl
    import pptx
    from tests.ingest.format_writers import _odf_table
    from odf.draw import Frame, Page, TextBox
    from odf.namespaces import PRESENTATIONNS
    from odf.opendocument import OpenDocumentPresentation, OpenDocumentSpreadsheet, OpenDocumentText
    from odf.style import MasterPage, PageLayout
    from odf.text import H, P
    from pptx.util import Inches

    heads = ["Purchasing rules", "Approvals", "Suppliers"]
    secs = [sentences(4, k) for k in range(3)]
    header = ["Item", "Owner", "Cost", "Due"]
    rows = [[f"Part {c}{i}", f"Owner {c}{i}", str(100 + i * 7), f"2024-0{1 + i % 9}-1{i % 9}"]
            for i, c in zip(range(6), "ABCDEF", strict=True)]
    grid = [header] + rows
    truth: dict = {}

    def note(fmt: str, sents: list[str], hs: list[str], table: list[list[str]]) -> None:
        truth[fmt] = {"sentences": sents, "headings": hs, "rows": table[1:] if table else [],
                      "header": table[0] if table else []}

    d = docx.Document()
    for h, sec in zip(heads, secs, strict=True):
        d.add_heading(h, 1)
        for s in sec:
            d.add_paragraph(s)
    t = d.add_table(rows=len(grid), cols=4)
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            t.cell(r, c).text = v
    d.save(folder / "sample.docx")
    note("docx", sum(secs, []), heads, grid)

    p = pptx.Presentation()
    for h, sec in zip(heads, secs, strict=True):
        s = p.slides.add_slide(p.slide_layouts[1])
        s.shapes.title.text = h
        s.placeholders[1].text = "\n".join(sec)
    s = p.slides.add_slide(p.slide_layouts[5])
    s.shapes.title.text = "Open orders"
    tb = s.shapes.add_table(len(grid), 4, Inches(0.5), Inches(1.5), Inches(9), Inches(3)).table
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            tb.cell(r, c).text = v
    p.save(folder / "sample.pptx")
    note("pptx", sum(secs, []), heads + ["Open orders"], grid)

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    for row in grid:
        ws.append(row)
    ws2 = wb.create_sheet("Suppliers")
    for row in [["Supplier", "City"], ["Nordic Valves", "Bergen"], ["Iberia Gaskets", "Seville"]]:
        ws2.append(row)
    wb.save(folder / "sample.xlsx")
    note("xlsx", [], ["Orders", "Suppliers"], grid)

    o = OpenDocumentText()
    for h, sec in zip(heads, secs, strict=True):
        o.text.addElement(H(outlinelevel=1, text=h))
        for s in sec:
            o.text.addElement(P(text=s))
    o.text.addElement(_odf_table(grid, "Orders"))
    o.save(str(folder / "sample.odt"))
    note("odt", sum(secs, []), heads, grid)

    op = OpenDocumentPresentation()
    pl = PageLayout(name="pl")
    op.automaticstyles.addElement(pl)
    mpage = MasterPage(name="mp", pagelayoutname=pl)
    op.masterstyles.addElement(mpage)
    for i, (h, sec) in enumerate(zip(heads, secs, strict=True), 1):
        page = Page(masterpagename=mpage, name=f"page{i}")
        for text, y, cls in ((h, "1cm", "title"), ("\n".join(sec), "5cm", "")):
            f = Frame(width="20cm", height="8cm", x="1cm", y=y)
            if cls:
                f.setAttrNS(PRESENTATIONNS, "class", cls)
            box = TextBox()
            for line in text.split("\n"):
                box.addElement(P(text=line))
            f.addElement(box)
            page.addElement(f)
        op.presentation.addElement(page)
    op.save(str(folder / "sample.odp"))
    note("odp", sum(secs, []), heads, [])

    os_ = OpenDocumentSpreadsheet()
    os_.spreadsheet.addElement(_odf_table(grid, "Orders"))
    os_.save(str(folder / "sample.ods"))
    note("ods", [], ["Orders"], grid)

    book = epub.EpubBook()
    book.set_identifier("bench")
    book.set_title("Purchasing handbook")
    book.set_language("en")
    chapters = []
    for i, (h, sec) in enumerate(zip(heads, secs, strict=True), 1):
        ch = epub.EpubHtml(title=h, file_name=f"c{i}.xhtml")
        body = "".join(f"<p>{s}</p>" for s in sec)
        if i == 3:
            cells = [["".join(f"<{tag}>{v}</{tag}>" for v in row)] for row, tag in
                     zip(grid, ["th"] + ["td"] * len(rows), strict=True)]
            body += "<table>" + "".join(f"<tr>{c[0]}</tr>" for c in cells) + "</table>"
        ch.content = f"<html><body><h1>{h}</h1>{body}</body></html>"
        book.add_item(ch)
        chapters.append(ch)
    book.toc = tuple(chapters)
    book.spine = ["nav", *chapters]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    epub.write_epub(str(folder / "sample.epub"), book)
    note("epub", sum(secs, []), heads, grid)

    m = EmailMessage()
    m["Subject"], m["From"], m["To"] = "Purchasing rules update", "buyer@example.org", "staff@example.org"
    m["Date"] = "Tue, 05 Mar 2024 10:00:00 +0000"
    m.set_content("\n\n".join(sum(secs, [])))
    (folder / "sample.eml").write_bytes(bytes(m))
    note("eml", sum(secs, []), [], [])

    out = io.StringIO()
    csv.writer(out).writerows(grid)
    (folder / "sample.csv").write_text(out.getvalue())
    note("csv", [], [], grid)

    # A scanned page: no text layer, 24 lines of prose drawn at 300 dpi (OCR's word recall and seconds a page).
    from tests.ingest.format_writers import scanned_pdf_bytes

    lines = [" ".join(s.split()[2:10]) for s in sentences(24, 99)]
    (folder / "scan.pdf").write_bytes(scanned_pdf_bytes(lines))
    truth["scan"] = {"sentences": [], "headings": [], "rows": [], "header": [], "words": " ".join(lines).split()}

    # Long files: the time and memory of one conversion.
    d = docx.Document()
    for i in range(1000):
        d.add_heading(f"Section {i}", 2)
        for s in sentences(4, 1000 + i):
            d.add_paragraph(s)
    d.save(folder / "long.docx")
    p = pptx.Presentation()
    for i in range(200):
        s = p.slides.add_slide(p.slide_layouts[1])
        s.shapes.title.text = f"Slide {i}"
        s.placeholders[1].text = "\n".join(sentences(4, 2000 + i))
    p.save(folder / "long.pptx")
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Ledger")
    ws.append(header)
    for i in range(20000):
        ws.append([f"Part {i}", f"Owner {i % 97}", 100 + i % 500, f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"])
    wb.save(folder / "long.xlsx")
    o = OpenDocumentText()
    for i in range(1000):
        o.text.addElement(H(outlinelevel=2, text=f"Section {i}"))
        for s in sentences(4, 3000 + i):
            o.text.addElement(P(text=s))
    o.save(str(folder / "long.odt"))
    (folder / "truth.json").write_text(json.dumps(truth))
    return truth
