"""Real files for the format tests, each written by its format's own writer library (python-docx, python-pptx,
openpyxl, odfpy, ebooklib, the standard library's email, mailbox and csv, Pillow for a scanned page, fpdf2 for a
PDF with bookmarks).

Every file carries sentences no other file has, so a search for one finds exactly its file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import mailbox
from email.message import EmailMessage
from pathlib import Path

DOCX = "Economy class is required for every flight shorter than six hours."
PPTX = ("Revenue from the harbour ferries grew by twelve percent in the third quarter.",
        "The southern warehouse fire delayed forty container shipments.")
XLSX_ROW = ("Treasurer", "Alice Moreau")
ODT = "New staff collect their parking badge from the reception desk on Monday morning."
ODP = ("Hard hats are mandatory on the loading dock at all times.", "Fire exits are at both ends of the assembly hall.")
ODS_ROW = ("Brass hinge", "730")
EPUB = ("Clay soil drains slowly and needs leaf compost every spring.", "Prune the pear trees in late winter while "
        "they are dormant.")
EML = "The database servers go offline on Saturday between two and four in the morning for maintenance."
ATTACHED = "The diesel backup generator is load-tested on the first Thursday of each month."
MBOX = ("The staff canteen closes early on Friday for the deep clean.", "Bicycle parking permits renew every April.")
CSV_ROW = ("Bob Lindqvist", "Stockholm", "+46 8 555 0199")
#: A PDF manual's bookmarks: (level, the heading line printed, the bookmark's title, a sentence of its own). The
#: second chapter's heading line reads differently from its bookmark, so it is placed by its height on the page.
OUTLINE = [(0, "1 Travel policy", "Travel policy", "Staff book every trip through the travel desk ten days ahead."),
           (1, "1.1 Flights", "Flights", "Window seats are assigned by seniority on the overnight routes."),
           (1, "1.2 Hotel rates", "Hotel rates", "A hotel room may cost at most one hundred and fifty euros a night."),
           (2, "1.2.1 Hotel rates abroad", "Hotel rates abroad", "Rooms in Zurich and Oslo cost up to 200 euros."),
           (0, "2 Claiming expenses back", "Expense claims", "Claims are paid with the salary of the next month."),
           (1, "2.1 Receipts", "Receipts", "Keep the paper receipt of every taxi ride for seven years.")]
SCAN = ["Scanned memo: the warehouse inventory audit starts", "on the first Monday of October. Every team lead",
        "counts pallets in their own aisle and reports any", "discrepancies to the logistics office by Friday."]


def docx_bytes(paragraphs: list[str] | None = None, *, pages: int = 0) -> bytes:
    import docx
    from docx.enum.text import WD_BREAK

    d = docx.Document()
    d.core_properties.title = "Travel policy"
    d.add_heading("Travel policy", 0)
    d.add_heading("Flights", 1)
    for text in paragraphs or [DOCX]:
        d.add_paragraph(text)
    d.add_heading("Hotel rates", 2)
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate([["City", "Nightly cap", "Currency"], ["Paris", "180", "EUR"], ["Oslo", "2100", "NOK"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    for page in range(pages):  # a long document: one section of ~300 words a page
        d.add_heading(f"Appendix section {page + 1}", 2)
        d.add_paragraph(f"Appendix page {page + 1}. " + "Receipts are filed with the finance portal. " * 40)
        d.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    return saved(d)


def pptx_bytes() -> bytes:
    import pptx
    from pptx.util import Inches

    prs = pptx.Presentation()
    one = prs.slides.add_slide(prs.slide_layouts[1])
    one.shapes.title.text = "Quarterly results"
    one.placeholders[1].text = PPTX[0]
    two = prs.slides.add_slide(prs.slide_layouts[5])
    two.shapes.title.text = "Logistics incidents"
    table = two.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(1.5)).table
    for r, row in enumerate([["Region", "Delayed shipments"], ["South", "40"], ["North", "3"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    two.notes_slide.notes_text_frame.text = PPTX[1]
    return saved(prs)


def xlsx_bytes() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    budget = book.active
    budget.title = "Budget"
    budget.append(["Team", "Quarter", "Budget", "Starts"])
    budget.append(["Finance", "Q1", 1200.0, dt.date(2024, 1, 1)])
    budget.append(["Research", "Q2", 3400.5, dt.date(2024, 4, 1)])
    staff = book.create_sheet("Staff")
    staff.append(["Role", "Name"])
    staff.append(list(XLSX_ROW))
    return saved(book)


def ledger_xlsx_bytes(rows: int) -> bytes:
    """A long sheet of numbers: openpyxl reads 12,000 rows in about a second on 2 cores."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Ledger")
    sheet.append(["Entry", "Debit", "Credit", "Balance"])
    for i in range(rows):
        sheet.append([i, i * 3, i * 7, i * 11])
    return saved(book)


def _odf_table(rows: list[list[str]], name: str):
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    table = Table(name=name)
    for row in rows:
        tr = TableRow()
        for value in row:
            cell = TableCell()
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    return table


def odt_bytes() -> bytes:
    from odf import dc
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    doc = OpenDocumentText()
    doc.meta.addElement(dc.Title(text="Onboarding guide"))
    doc.text.addElement(H(outlinelevel=1, text="First week"))
    doc.text.addElement(P(text=ODT))
    doc.text.addElement(H(outlinelevel=2, text="Equipment"))
    doc.text.addElement(_odf_table([["Item", "Owner"], ["Laptop", "IT service desk"]], "Equipment"))
    return saved(doc)


def odp_bytes() -> bytes:
    from odf.draw import Frame, Page, TextBox
    from odf.namespaces import PRESENTATIONNS
    from odf.opendocument import OpenDocumentPresentation
    from odf.style import MasterPage, PageLayout
    from odf.text import P

    doc = OpenDocumentPresentation()
    layout = PageLayout(name="layout")
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="master", pagelayoutname=layout)
    doc.masterstyles.addElement(master)
    for number, (title, body) in enumerate([("Safety briefing", ODP[0]), ("Evacuation", ODP[1])], 1):
        page = Page(masterpagename=master, name=f"page{number}")
        for text, y, cls in ((title, "1cm", "title"), (body, "5cm", "")):
            frame = Frame(width="20cm", height="3cm", x="1cm", y=y)
            if cls:
                frame.setAttrNS(PRESENTATIONNS, "class", cls)
            box = TextBox()
            box.addElement(P(text=text))
            frame.addElement(box)
            page.addElement(frame)
        doc.presentation.addElement(page)
    return saved(doc)


def ods_bytes() -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet

    doc = OpenDocumentSpreadsheet()
    doc.spreadsheet.addElement(_odf_table([["Part", "Count"], ["Steel bolt", "500"], list(ODS_ROW)], "Inventory"))
    return saved(doc)


#: Text of the soil chapter in a note (``<aside>``) and a list: the main-content filter for web pages dropped both.
EPUB_KEPT = ("Never lime a soil that is already alkaline.", "holds water for weeks after a storm.")


def epub_bytes() -> bytes:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("saferag-test-garden")
    book.set_title("Garden handbook")
    book.set_language("en")
    soil = epub.EpubHtml(title="Soil", file_name="soil.xhtml")
    soil.content = (f"<html><body><h1>Soil</h1><p>{EPUB[0]}</p><h2>Testing</h2><p>A kit reads the pH.</p>"
                    f"<aside class='note'><p>{EPUB_KEPT[0]}</p></aside>"
                    f"<ul><li><p><strong>Clay</strong>: {EPUB_KEPT[1]}</p></li><li><p><strong>Sand</strong>: drains "
                    f"fast.</p></li></ul></body></html>")
    trees = epub.EpubHtml(title="Fruit trees", file_name="trees.xhtml")
    trees.content = f"<html><body><h1>Fruit trees</h1><p>{EPUB[1]}</p></body></html>"
    for chapter in (soil, trees):
        book.add_item(chapter)
    book.toc = (soil, trees)
    book.spine = ["nav", soil, trees]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    out = io.BytesIO()
    epub.write_epub(out, book)
    return out.getvalue()


def eml_bytes(attachments: dict[str, bytes] | None = None) -> bytes:
    msg = EmailMessage()
    msg["Subject"] = "Server maintenance window"
    msg["From"] = "Ops Team <ops@example.org>"
    msg["To"] = "staff@example.org"
    msg["Date"] = "Tue, 05 Mar 2024 10:00:00 +0000"
    msg.set_content(EML)
    for name, data in (attachments or {}).items():
        maintype, subtype = ("text", "plain") if name.endswith(".txt") else ("application", "octet-stream")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)


def mbox_file(path: Path) -> None:
    box = mailbox.mbox(str(path))
    for number, body in enumerate(MBOX, 1):
        msg = EmailMessage()
        msg["Subject"] = f"Facilities notice {number}"
        msg["From"] = "facilities@example.org"
        msg["Date"] = f"Wed, 0{number} May 2024 09:00:00 +0000"
        msg.set_content(body)
        box.add(msg)
    box.flush()
    box.close()


def csv_bytes(dialect: str = "excel") -> bytes:
    """``excel``: a .csv file; ``excel-tab``: a .tsv file."""
    out = io.StringIO()
    writer = csv.writer(out, dialect)
    writer.writerows([["Name", "Office", "Phone"], ["Carla Ruiz", "Madrid", "+34 91 555 0142"], list(CSV_ROW)])
    return out.getvalue().encode()


def outlined_pdf_bytes(outline: list[tuple[int, str, str, str]] = OUTLINE) -> bytes:
    """A manual whose bookmarks (fpdf2's ``start_section``) nest chapters, sections and a subsection; each chapter
    starts a page, so sections share pages with their chapter."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for level, shown, title, sentence in outline:
        if level == 0:
            pdf.add_page()
            pdf.multi_cell(0, 6, "Filler text above the chapter. " * 40, new_x="LMARGIN", new_y="NEXT")
        pdf.start_section(title, level=level)
        pdf.multi_cell(0, 8, shown, new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6, sentence + " More words about it follow here." * 12, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def scanned_pdf_bytes(lines: list[str] = SCAN) -> bytes:
    """A page with no text layer: the lines drawn into an A4 image at 300 dpi, saved as a PDF by Pillow."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=40)
    page = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((200, 300 + 80 * i), line, fill=0, font=font)
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=300)
    return out.getvalue()


def text_image_bytes(pages: list[list[str]], fmt: str = "PNG", sideways: bool = False) -> bytes:
    """Lines drawn by Pillow into a small image per page, saved as ``fmt`` (a multi-page TIFF for several pages).
    ``sideways``: stored turned a quarter, with the EXIF orientation a phone camera writes to show it upright."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=40)
    images = []
    for lines in pages:
        page = Image.new("L", (1600, 120 + 80 * len(lines)), 255)
        draw = ImageDraw.Draw(page)
        for i, line in enumerate(lines):
            draw.text((60, 60 + 80 * i), line, fill=0, font=font)
        images.append(page.rotate(90, expand=True) if sideways else page)
    out = io.BytesIO()
    extra: dict = {}
    if sideways:
        exif = Image.Exif()
        exif[0x0112] = 6  # Orientation: turn 90° clockwise to show
        extra["exif"] = exif
    if len(images) > 1:
        extra.update(save_all=True, append_images=images[1:])
    images[0].save(out, format=fmt, **extra)
    return out.getvalue()


def saved(obj) -> bytes:
    """A python-docx, python-pptx, openpyxl or odfpy document as the bytes of its file."""
    out = io.BytesIO()
    obj.save(out)
    return out.getvalue()


#: (level, title) of typeset_pdf_bytes' headings: 1 a chapter at 18 pt, 2 a section at 14 pt.
TYPESET = [(1, "1 Getting started"), (2, "1.1 Installing the client"), (2, "1.2 First login"),
           (1, "2 Keeping the archive of signed contracts for the legal department"), (2, "2.1 Retention periods")]


def typeset_pdf_bytes() -> bytes:
    """A manual with no bookmarks whose headings only its type tells: chapters at 18 pt and sections at 14 pt over a
    body of 11 pt, one chapter title wrapped over two lines, a running head at 14 pt atop every page, and a table of
    contents at 14 pt whose lines end in page numbers."""
    from fpdf import FPDF

    class Manual(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", "B", 14)
            self.cell(0, 8, "Acme Records Handbook", new_x="LMARGIN", new_y="NEXT")
            self.set_font("Helvetica", size=11)

    pdf = Manual()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    for line in ("Contents", "1 Getting started 2", "2 Keeping the archive 3", "Index 4"):
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    body = {1: "Open the portal and read the welcome page before anything else.",
            2: "Clients install from the shared drive; setup.exe asks for the licence key.",
            3: "The first login asks for a new password of at least fourteen characters.",
            4: "Signed contracts are scanned and filed by the legal department within a week.",
            5: "Contracts are kept for ten years after they end, then shredded by the archive team."}
    for i, (level, title) in enumerate(TYPESET, 1):
        if level == 1:
            pdf.add_page()
        pdf.set_font("Helvetica", "B", 18 if level == 1 else 14)
        pdf.multi_cell(90 if level == 1 else 0, 9, title, new_x="LMARGIN", new_y="NEXT")  # chapter 2 wraps
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, (body[i] + " ") * 8, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def furnished_pdf_bytes(pages: int = 8) -> bytes:
    """A manual with a running head atop each page ("Handbook › <chapter>") and its number at the foot, a chapter
    bookmarked by the same words as its running head, a sentence that runs over a page break, and a line of the
    body that happens to close three pages (too few to be furniture)."""
    from fpdf import FPDF

    class Manual(FPDF):
        chapter = "Storage rules"

        def header(self) -> None:
            self.set_font("Helvetica", size=9)
            self.cell(0, 6, f"Handbook: {self.chapter}", new_x="LMARGIN", new_y="NEXT")
            self.set_font("Helvetica", size=11)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", size=9)
            self.cell(0, 6, str(self.page_no()), align="C")

    pdf = Manual()
    for page in range(1, pages + 1):
        if page == 5:
            pdf.chapter = "Handbook: Disposal rules"[len("Handbook: "):]
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        if page == 5:  # the chapter's title: the words of its running head, bookmarked
            pdf.start_section(f"Handbook: {pdf.chapter}")
            pdf.cell(0, 8, f"Handbook: {pdf.chapter}", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6, f"Page {page} explains box {page} of the archive. " * 30, new_x="LMARGIN", new_y="NEXT")
        if page in (2, 3, 4):
            pdf.multi_cell(0, 6, "Ask the archivist before moving a box.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


#: A Word memo whose sections are titled by hand: (how the line is set, its text). Only the "head" lines are
#: headings; the others are what bold is also used for in a body.
HANDSET = [("title", "Server handbook"),
           ("contents", "Installing the server 2"),
           ("body", "This handbook explains how the ticketing server is installed and run by the operations team."),
           ("head", "Installing the server"),
           ("body", "Run the installer as the service account; it unpacks into the opt directory in a minute."),
           ("strong", "Ports and firewalls"),
           ("body", "The ticketing server listens on port 8443 and needs it open to the office network."),
           ("emphasis", "Never restart the ticketing server while a database upgrade runs."),
           ("label", "Requirements:"),
           ("item", "Backup window"),
           ("mixed", "Logs rotate nightly at two o'clock"),
           ("styled", "Operations"),
           ("head", "Nightly backups"),
           ("body", "Backups of the ticket database are copied to the tape library at three in the morning."),
           ("head", "Where are the backups kept?"),
           ("body", "The tapes of the last month are kept in the fire safe of the basement archive room."),
           ("head", "Closing remark")]


def handset_docx_bytes(lines: list[tuple[str, str]] = HANDSET) -> bytes:
    """A memo formatted by hand (python-docx): a 20 pt title, bold section lines (direct, and by the ``Strong``
    character style), an entry of a table of contents in a bold style, a bold warning sentence, a bold label, a
    bold list item, a line with one bold word, a styled ``Heading 1`` and bold lines under it, and a bold closing
    line."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Pt

    d = docx.Document()
    for kind, text in lines:
        if kind == "styled":
            d.add_heading(text, 1)
        elif kind == "item":
            d.add_paragraph(style="List Bullet").add_run(text).bold = True
        elif kind == "contents":  # an entry of a table of contents, in a bold "TOC 1" style
            style = d.styles["TOC 1"] if "TOC 1" in d.styles else d.styles.add_style("TOC 1", WD_STYLE_TYPE.PARAGRAPH)
            style.font.bold = True
            d.add_paragraph(text, style=style)
        elif kind == "mixed":
            words = text.split(" ", 1)
            p = d.add_paragraph(words[0] + " ")
            p.add_run(words[1]).bold = True
        elif kind == "strong":
            d.add_paragraph().add_run(text, style="Strong")
        elif kind == "title":
            d.add_paragraph().add_run(text).font.size = Pt(20)
        elif kind == "body":
            d.add_paragraph(text)
        else:
            d.add_paragraph().add_run(text).bold = True
    return saved(d)


def handset_odt_bytes(lines: list[tuple[str, str]] = HANDSET, title_style: str = "",
                      script: str = "") -> bytes:
    """``HANDSET`` as an OpenDocument text (odfpy), set the ways LibreOffice saves hand formatting: the title in an
    automatic paragraph style at 200 % of the 12 pt default, section lines bold by an automatic paragraph style
    ("head") and by the named ``Strong Emphasis`` text style ("strong"), the warning, the label, the list item and
    the one bold word in bold spans, the contents entry in a bold ``Contents 1`` paragraph style. With
    ``title_style``, the first line is a paragraph in that named style instead (LibreOffice's ``Title``), set
    like the body. Two more kinds of line: "footnoted", a bold line with a footnote, and "boxed", a bold line in a
    text box anchored in a body paragraph. With ``script`` (``asian`` or ``complex``), bold and sizes are set in that
    script class's properties alone (``style:font-size-asian`` ...), as LibreOffice formats a Chinese or Arabic
    selection, and the default style sizes each class apart, as LibreOffice's does for a Chinese locale (Western
    12 pt, Asian 10.5 pt, complex 12 pt)."""
    from odf.opendocument import OpenDocumentText
    from odf.style import DefaultStyle, ParagraphProperties, Style, TextProperties
    from odf.draw import Frame, TextBox
    from odf.text import H, List, ListItem, Note, NoteBody, NoteCitation, P, Span

    doc = OpenDocumentText()
    default = DefaultStyle(family="paragraph")
    sizes = {"fontsizeasian": "10.5pt", "fontsizecomplex": "12pt"} if script else {}
    default.addElement(TextProperties(fontsize="12pt", **sizes))
    doc.styles.addElement(default)
    standard = Style(name="Standard", family="paragraph")
    doc.styles.addElement(standard)

    def style(name: str, family: str, auto: bool, parent: str = "", display: str = "", **props: str) -> Style:
        kw = {"parentstylename": parent} if parent else {}
        if display:
            kw["displayname"] = display
        s = Style(name=name, family=family, **kw)
        s.addElement(TextProperties(**{f"{prop}{script}": value for prop, value in props.items()}))
        if family == "paragraph":
            s.addElement(ParagraphProperties(margintop="0.2cm"))
        (doc.automaticstyles if auto else doc.styles).addElement(s)
        return s

    big = style("P1", "paragraph", True, "Standard", fontsize="200%")
    bold_para = style("P2", "paragraph", True, "Standard", fontweight="bold")
    contents = style("Contents_20_1", "paragraph", False, "Standard", "Contents 1", fontweight="bold")
    strong = style("Strong_20_Emphasis", "text", False, "", "Strong Emphasis", fontweight="bold")
    bold_span = style("T1", "text", True, fontweight="700")
    if title_style:
        style(title_style, "paragraph", False, "Standard", fontsize="12pt")  # neither larger nor bold: by name
    for i, (kind, text) in enumerate(lines):
        if kind == "title" and title_style and i == 0:
            doc.text.addElement(P(stylename=title_style, text=text))
        elif kind == "title":
            doc.text.addElement(P(stylename=big, text=text))
        elif kind == "styled":
            doc.text.addElement(H(outlinelevel=1, text=text))
        elif kind == "head":
            doc.text.addElement(P(stylename=bold_para, text=text))
        elif kind == "footnoted":
            p = P(stylename=bold_para, text=text)
            note = Note(noteclass="footnote", id=f"ftn{i}")
            note.addElement(NoteCitation(text="1"))
            body = NoteBody()
            body.addElement(P(stylename=standard, text="Measured in the spring of 2020."))
            note.addElement(body)
            p.addElement(note)
            doc.text.addElement(p)
        elif kind == "boxed":
            frame = Frame(width="6cm", height="2cm", anchortype="paragraph")
            box = TextBox()
            box.addElement(P(stylename=bold_para, text=text))
            frame.addElement(box)
            p = P(stylename=standard)
            p.addElement(frame)
            doc.text.addElement(p)
        elif kind == "contents":
            doc.text.addElement(P(stylename=contents, text=text))
        elif kind == "body":
            doc.text.addElement(P(stylename=standard, text=text))
        else:
            p = P(stylename=standard)
            if kind == "mixed":
                first, text = text.split(" ", 1)
                p.addText(first + " ")
            p.addElement(Span(stylename=strong if kind == "strong" else bold_span, text=text))
            if kind == "item":
                item = ListItem()
                item.addElement(p)
                p = List()
                p.addElement(item)
            doc.text.addElement(p)
    return saved(doc)


def handset_pdf_bytes() -> bytes:
    """A memo saved as PDF with its sections set in bold at the body's size (rule P5), no bookmarks: a 16 pt bold
    title, two bold section lines, a second 16 pt chapter after them, and bold text that is no title: a warning
    sentence, a label, a paragraph in bold over two lines, a table's bold header row, and a bold copyright line at
    the foot of every page."""
    from fpdf import FPDF

    class Memo(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", "B", 11)
            self.cell(0, 6, "Copyright Acme Ticketing Ltd")

    pdf = Memo()
    filler = "The ticketing server is run by the operations team and backed up every night. " * 6
    sections = [("Installing the server", "Run the installer as the service account; it unpacks in a minute. "),
                ("Ports and firewalls", "The ticketing server listens on port 8443 for the office network. ")]
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Server handbook", new_x="LMARGIN", new_y="NEXT")
    for title, body in sections:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, body * 8 + filler, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        for line in ("Never restart the server while the database upgrade runs.", "Requirements:"):
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=11)
            pdf.multi_cell(0, 6, filler, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(0, 6, "All of this paragraph is set in bold type because it matters a great deal to anyone "
                   "who runs the server at night", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, filler, new_x="LMARGIN", new_y="NEXT")
    for bold, row in ((True, ("Port", "Service", "Opened to")), (False, ("8443", "tickets", "office network"))):
        pdf.set_font("Helvetica", "B" if bold else "", 11)
        for cell in row:
            pdf.cell(60, 8, cell)
        pdf.ln(8)
    pdf.multi_cell(0, 6, filler * 24, new_x="LMARGIN", new_y="NEXT")  # the copyright line closes four pages
    pdf.set_font("Helvetica", "B", 16)  # a second chapter in large type, after the bold lines
    pdf.cell(0, 10, "Retiring the server", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Old servers are wiped with three passes before they leave the building. " * 6,
                   new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


DEJAVU = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core


def dejavu_page():
    """An fpdf2 document on its first page, set in 11 pt DejaVu Sans: a Unicode font, so text may hold ligatures."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(DEJAVU / "DejaVuSans.ttf"))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    return pdf


def ligature_pdf_bytes() -> bytes:
    """A page whose text layer holds ligature characters (U+FB00–U+FB06), as Chromium's and Word's PDFs do: written
    with a Unicode TrueType font, no bookmarks, a 16 pt title over 11 pt body text."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", "", str(DEJAVU / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(DEJAVU / "DejaVuSans-Bold.ttf"))
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, "Conﬁguration ﬁles", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=11)
    pdf.multi_cell(0, 6, "The eﬀect of the ﬁrst ﬂag is oﬀ by default, and the ﬃx and ﬄy words keep their letters; "
                   "x² and ½ are left as they are. " * 12, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


#: A handbook in Chinese and one in Arabic, for sizes and weights set per script class: (kind, text) as ``HANDSET``.
SCRIPT_HANDSETS = {
    "asian": [("title", "服务器手册"),
              ("body", "本手册说明运维团队如何安装和运行工单服务器，以及日常维护的步骤。"),
              ("head", "安装服务器"),
              ("body", "请以服务账户运行安装程序，它会在一分钟内解压到指定目录。"),
              ("strong", "端口与防火墙"),
              ("body", "工单服务器监听 8443 端口，需要向办公网络开放该端口。"),
              ("emphasis", "数据库升级期间切勿重启工单服务器。"),
              ("head", "夜间备份"),
              ("body", "工单数据库的备份在凌晨三点复制到磁带库。")],
    "complex": [("title", "دليل الخادم"),
                ("body", "يشرح هذا الدليل كيف يثبت فريق العمليات خادم التذاكر وكيف يشغله كل يوم."),
                ("head", "تثبيت الخادم"),
                ("body", "شغل برنامج التثبيت بحساب الخدمة، فيفك ملفاته في دقيقة واحدة."),
                ("strong", "المنافذ والجدار الناري"),
                ("body", "يستمع خادم التذاكر على المنفذ 8443 ويجب فتحه لشبكة المكتب."),
                ("emphasis", "لا تعد تشغيل خادم التذاكر أثناء ترقية قاعدة البيانات."),
                ("head", "النسخ الاحتياطي الليلي"),
                ("body", "تنسخ قاعدة بيانات التذاكر إلى مكتبة الأشرطة في الثالثة صباحا.")],
}


def complex_handset_docx_bytes(lines: list[tuple[str, str]] | None = None, rtl: bool = True) -> bytes:
    """``SCRIPT_HANDSETS["complex"]`` (Arabic) as a Word document (python-docx), set the way Word keeps complex-script
    formatting: each run right-to-left (``w:rtl``, unless not ``rtl``), the title 22 pt and the section lines and the
    warning bold in the complex-script properties alone (``w:szCs``, ``w:bCs``), the Western ones at the defaults."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    doc = docx.Document()
    for kind, text in lines or SCRIPT_HANDSETS["complex"]:
        run = doc.add_paragraph().add_run(text)
        run.font.rtl = rtl
        if kind == "title":
            size = OxmlElement("w:szCs")
            size.set(qn("w:val"), "44")
            run._r.get_or_add_rPr().append(size)
        elif kind != "body":
            run.font.cs_bold = True
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
