"""Office, OpenDocument, EPUB, e-mail, CSV and scanned PDFs, ingested into real Milvus Lite with the real embedder.

Every file is written by its format's own library (``format_writers.py``) and found again by a sentence only it
holds; bad files (encrypted, corrupt, zip bombs, macros, too slow) are reported while the rest is ingested.
"""

from __future__ import annotations

import importlib.util
import io
import re
import shutil
import sys
import zipfile
from pathlib import Path

import format_writers as w
import httpx
import pytest

from saferag.errors import DocumentError
from saferag.ingest import formats
from saferag.ingest.document import Document
from saferag.ingest.extract import Parser, to_documents
from saferag.ingest.formats.pdf import read_pdf
from saferag.ingest.headings import chunk_headings
from saferag.ingest.prepare import chunk_metadata
from saferag.ingest.sources import DocumentRef, RawDocument, discover, read
from saferag.ingest.splitter import split_sections

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
from server_helpers import serving  # noqa: E402

EXTRA = "the formats extra is not installed: pip install 'saferag[formats]'"
HAVE = {m: importlib.util.find_spec(m) is not None for m in ("docx", "pptx", "openpyxl", "odf", "ebooklib", "lxml",
                                                             "pypdfium2", "msoffcrypto")}
OCR = shutil.which("tesseract") is not None and HAVE["pypdfium2"]
NO_OCR = "tesseract (Debian tesseract-ocr) or pypdfium2 (the formats extra) is not installed"


def need(*modules: str) -> None:
    missing = [m for m in modules if not HAVE[m]]
    if missing:
        pytest.skip(f"{EXTRA} (missing {', '.join(missing)})")


def raw(data: bytes, kind: str, source: str = "doc") -> RawDocument:
    return RawDocument(ref=DocumentRef(source, source, kind), data=data, kind=kind)


def write_all(folder: Path) -> dict[str, str]:
    """One file of every format the installed libraries can write; returns sentence → the source holding it."""
    folder.mkdir(parents=True, exist_ok=True)
    found: dict[str, str] = {}

    def put(name: str, data: bytes, *sentences: str) -> None:
        (folder / name).write_bytes(data)
        found.update({s: name for s in sentences})

    put("people.csv", w.csv_bytes(), "Bob Lindqvist works in the Stockholm office")
    put("maintenance.eml", w.eml_bytes({"generator.txt": w.ATTACHED.encode()}), w.EML)
    found[w.ATTACHED] = "maintenance.eml/generator.txt"
    w.mbox_file(folder / "facilities.mbox")
    found.update({w.MBOX[0]: "facilities.mbox/1", w.MBOX[1]: "facilities.mbox/2"})
    if HAVE["docx"]:
        put("policy.docx", w.docx_bytes(), w.DOCX)
    if HAVE["pptx"]:
        put("results.pptx", w.pptx_bytes(), *w.PPTX)
    if HAVE["openpyxl"]:
        put("budget.xlsx", w.xlsx_bytes(), "Who is the treasurer? Alice Moreau")
    if HAVE["odf"] and HAVE["lxml"]:
        put("onboarding.odt", w.odt_bytes(), w.ODT)
        put("briefing.odp", w.odp_bytes(), *w.ODP)
        put("stock.ods", w.ods_bytes(), "how many brass hinges are in the inventory")
    if HAVE["ebooklib"]:
        put("garden.epub", w.epub_bytes(), *w.EPUB)
    if OCR:
        put("scanned-memo.pdf", w.scanned_pdf_bytes(), "when does the warehouse inventory audit start")
    return found


def test_every_format_is_found_by_its_own_sentence(make_rag, tmp_path):
    found = write_all(tmp_path / "docs")
    rag = make_rag()
    report = rag.ingest([str(tmp_path / "docs")])
    assert report.failed == [] and report.skipped == 0
    assert report.documents == len(set(found.values()))
    wrong = {s: hit.source for s, src in found.items() if (hit := rag.search(s, k=1)[0]).source != src}
    assert wrong == {}, wrong
    again = rag.ingest([str(tmp_path / "docs")], prune=True)
    assert (again.chunks_written, again.unchanged, again.pruned) == (0, report.documents, [])


def test_rows_read_with_their_headers_and_headings_kept(tmp_path):
    need("docx", "openpyxl")
    with Parser() as parser:
        sheet = to_documents(raw(w.xlsx_bytes(), "xlsx", "budget.xlsx"), parser=parser)[0]
        policy = to_documents(raw(w.docx_bytes(), "docx", "policy.docx"), parser=parser)[0]
    assert "Team: Research; Quarter: Q2; Budget: 3400.5; Starts: 2024-04-01" in sheet.text.splitlines()
    assert [h.text for h in sheet.headings] == ["Budget", "Staff"]
    assert "City: Oslo; Nightly cap: 2100; Currency: NOK" in policy.text.splitlines()
    assert [(h.level, h.text) for h in policy.headings] == [(1, "Travel policy"), (1, "Flights"), (2, "Hotel rates")]
    assert policy.title == "Travel policy"
    rows = to_documents(raw(w.csv_bytes(), "csv", "people.csv"))[0].text.splitlines()
    assert rows == ["Name: Carla Ruiz; Office: Madrid; Phone: +34 91 555 0142",
                    "Name: Bob Lindqvist; Office: Stockholm; Phone: +46 8 555 0199"]


def test_a_word_table_whose_first_row_continues_a_merge_is_read():
    # Crafted from a python-docx file: Word opens a first-row cell marked as continuing a vertical merge, python-docx
    # raises on it, and the whole document was lost (met in Apache POI's test file Bug49933.doc, converted).
    need("docx")
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = docx.Document(io.BytesIO(w.docx_bytes()))
    merge = OxmlElement("w:vMerge")
    merge.set(qn("w:val"), "continue")
    d.tables[0].rows[0].cells[0]._tc.get_or_add_tcPr().append(merge)
    policy = to_documents(raw(w.saved(d), "docx", "policy.docx"))[0]
    assert w.DOCX in policy.text and "City: Oslo; Nightly cap: 2100; Currency: NOK" in policy.text.splitlines()


def test_a_tab_separated_file_is_found_and_read_as_rows(tmp_path):
    (tmp_path / "people.tsv").write_bytes(w.csv_bytes("excel-tab"))
    [ref] = discover([str(tmp_path)]).refs  # found by a folder walk
    assert (ref.source, ref.kind) == ("people.tsv", "csv")
    rows = to_documents(read(ref))[0].text.splitlines()  # the delimiter sniffed
    assert rows[1] == "Name: Bob Lindqvist; Office: Stockholm; Phone: +46 8 555 0199"


def test_an_epub_chapter_keeps_its_notes_and_lists():
    need("ebooklib")
    book = to_documents(raw(w.epub_bytes(), "epub", "garden.epub"))[0]
    for kept in w.EPUB_KEPT:
        assert kept in book.text
    assert [h.text for h in book.headings] == ["Soil", "Testing", "Fruit trees"]


def test_slides_and_sheets_in_hits_and_citations(make_rag, tmp_path, generator):
    need("pptx", "openpyxl", "odf", "lxml")
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, data in {"results.pptx": w.pptx_bytes(), "budget.xlsx": w.xlsx_bytes(),
                       "briefing.odp": w.odp_bytes(), "stock.ods": w.ods_bytes()}.items():
        (docs / name).write_bytes(data)
    rag = make_rag(generator=generator, max_tokens=16, guard_answers=False)
    assert not rag.ingest([str(docs)]).failed
    fire = rag.search(w.PPTX[1], k=1)[0]
    assert (fire.source, fire.metadata["slide"], fire.headings, fire.link) == \
        ("results.pptx", 2, ["Logistics incidents"], "results.pptx#slide-2")
    assert rag.search(w.PPTX[0], k=1)[0].metadata["slide"] == 1
    assert rag.search(w.ODP[1], k=1)[0].metadata["slide"] == 2
    treasurer = rag.search("Who is the treasurer? Alice Moreau", k=1)[0]
    assert (treasurer.source, treasurer.metadata["sheet"]) == ("budget.xlsx", "Staff")
    assert rag.search("Brass hinge count", k=1)[0].metadata["sheet"] == "Inventory"
    assert rag.search("research budget", k=5, filter='metadata["sheet"] == "Budget"')[0].source == "budget.xlsx"
    answer = rag.ask("How many container shipments did the southern warehouse fire delay?", k=1)
    assert answer.sources and answer.sources[0]["source"] == "results.pptx" and answer.sources[0]["slide"] == 2


def test_email_metadata_and_attachments_as_their_own_sources(make_rag, tmp_path):
    need("docx")
    docs = tmp_path / "mail"
    docs.mkdir()
    broken = w.docx_bytes()[:500]
    mail = docs / "maintenance.eml"
    mail.write_bytes(w.eml_bytes({"policy.docx": w.docx_bytes(), "generator.txt": w.ATTACHED.encode(),
                                  "broken.docx": broken, "logo.png": b"\x89PNG\r\n\x1a\nnot read"}))
    rag = make_rag()
    report = rag.ingest([str(docs)])
    assert [f["source"] for f in report.failed] == ["maintenance.eml/broken.docx"]
    assert "corrupt .docx file" in report.failed[0]["reason"]
    assert report.documents == 3  # the message, policy.docx and generator.txt; the image is not a document
    hit = rag.search("When are the database servers offline?", k=1)[0]
    assert hit.source == "maintenance.eml"
    assert {k: hit.metadata[k] for k in ("subject", "sender", "date", "title")} == {
        "subject": "Server maintenance window", "sender": "Ops Team <ops@example.org>",
        "date": "2024-03-05T10:00:00+00:00", "title": "Server maintenance window"}
    assert rag.search(w.DOCX, k=1)[0].source == "maintenance.eml/policy.docx"
    assert rag.search(w.ATTACHED, k=1)[0].source == "maintenance.eml/generator.txt"
    # The same message again: nothing rewritten; without the policy attachment and with --prune: it goes.
    assert rag.ingest([str(docs)], prune=True).unchanged == 3
    mail.write_bytes(w.eml_bytes({"generator.txt": w.ATTACHED.encode()}))
    again = rag.ingest([str(docs)], prune=True)
    assert again.pruned == ["maintenance.eml/policy.docx"] and again.replaced == 1 and again.unchanged == 1
    assert rag.store.sources() == {"maintenance.eml", "maintenance.eml/generator.txt"}


def test_bad_files_are_reported_and_the_rest_ingested(make_rag, tmp_path):
    need("docx", "openpyxl", "ebooklib", "odf", "lxml")
    docs = tmp_path / "docs"
    docs.mkdir()
    good = w.docx_bytes()
    (docs / "z-good.odt").write_bytes(w.odt_bytes())  # parsed in milliseconds, right after the slow one
    (docs / "truncated.docx").write_bytes(good[: len(good) // 2])
    (docs / "not-a-sheet.xlsx").write_bytes(b"just some text, not a spreadsheet\n" * 20)
    (docs / "broken.epub").write_bytes(_without(w.epub_bytes(), "EPUB/content.opf"))
    (docs / "bomb.docx").write_bytes(w.docx_bytes(["x" * (9 << 20)]))  # 9 MiB of text in a ~60 kB file
    (docs / "report.docm").write_bytes(good)
    (docs / "macros.xlsx").write_bytes(_with(w.xlsx_bytes(), "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(600)))
    (docs / "a-slow.xlsx").write_bytes(w.ledger_xlsx_bytes(12000))  # about a second to parse, 1.8 MiB unpacked
    if HAVE["msoffcrypto"]:
        from msoffcrypto.format.ooxml import OOXMLFile

        locked = io.BytesIO()
        OOXMLFile(io.BytesIO(good)).encrypt("s3cret", locked)
        (docs / "locked.docx").write_bytes(locked.getvalue())
    rag = make_rag(max_document_mb=4, parse_timeout=0.1)
    report = rag.ingest([str(docs)])
    reasons = {f["source"]: f["reason"] for f in report.failed}
    expected = {"truncated.docx": r"^corrupt \.docx file", "not-a-sheet.xlsx": r"^corrupt \.xlsx file",
                "broken.epub": r"^corrupt \.epub file", "bomb.docx": r"expands to (9|10) MiB, over the 4 MiB limit",
                "report.docm": r"^contains macros; not ingested", "macros.xlsx": r"^contains macros; not ingested",
                "a-slow.xlsx": r"^parsing took longer than 0\.1 s \(SAFERAG_PARSE_TIMEOUT\)$"}
    if HAVE["msoffcrypto"]:
        expected["locked.docx"] = r"^password-protected \.docx file"
    assert set(reasons) == set(expected), reasons
    for source, pattern in expected.items():
        assert re.search(pattern, reasons[source]), (source, reasons[source])
    # The file after the one that timed out was parsed by a fresh worker and ingested.
    assert report.documents == 1 and rag.search(w.ODT, k=1)[0].source == "z-good.odt"


def _with(data: bytes, name: str, payload: bytes) -> bytes:
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr(name, payload)
    return out.getvalue()


def _without(data: bytes, name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            if item.filename != name:
                dst.writestr(item, src.read(item))
    return out.getvalue()


@pytest.mark.skipif(not OCR, reason=NO_OCR)
def test_scanned_pdf_is_read_by_ocr():
    doc = to_documents(raw(w.scanned_pdf_bytes(), "pdf", "scan.pdf"))[0]
    expected = re.findall(r"\w+", " ".join(w.SCAN).lower())
    got = set(re.findall(r"\w+", doc.text.lower()))
    recall = sum(word in got for word in expected) / len(expected)
    assert recall >= 0.9, (recall, doc.text)
    assert doc.metadata == {"ocr": True} and doc.marks == [(0, "page", 1)]


def test_scanned_pdf_without_tesseract_keeps_its_reason_with_the_hint(monkeypatch, tmp_path):
    bare = tmp_path / "bin"  # a PATH with Python but no tesseract
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare))
    with pytest.raises(DocumentError, match=r"^PDF has no text layer \(scanned images need OCR first\): "
                                            r"install tesseract-ocr to read scanned PDFs$"):
        to_documents(raw(w.scanned_pdf_bytes(), "pdf", "scan.pdf"))


def test_pdf_bookmarks_become_headings_at_their_lines():
    data = w.outlined_pdf_bytes()
    doc = to_documents(raw(data, "pdf", "travel.pdf"))[0]
    assert [(h.level, h.text) for h in doc.headings] == [(level + 1, title) for level, _, title, _ in w.OUTLINE]
    starts = {h.text: h.start for h in doc.headings}
    for _, shown, title, _ in w.OUTLINE:  # "Expense claims", printed otherwise, is placed by its height
        assert doc.text[starts[title]:].startswith(shown + "\n"), title
    sentence = doc.text.index(w.OUTLINE[3][3])  # a chunk's path: its subsection under its chapter and section
    assert chunk_headings(doc.headings, sentence, 60, doc.title)[0] == [
        "Travel policy", "Hotel rates", "Hotel rates abroad"]


def test_a_pdf_without_bookmarks_takes_its_headings_from_its_type():
    doc = read_pdf(w.typeset_pdf_bytes(), "handbook.pdf")
    # The running head atop every page and the contents' lines ending in page numbers are set as large as a
    # section, and are not headings; the wrapped chapter title is one heading.
    assert [(h.level, h.text) for h in doc.headings] == [(2, "Contents"), *w.TYPESET]
    for h in doc.headings:
        assert doc.text[h.start:].startswith(h.text.split(" of ")[0]), h
    sentence = doc.text.index("Contracts are kept for ten years")
    assert chunk_headings(doc.headings, sentence, 60, doc.title)[0] == [w.TYPESET[3][1], "2.1 Retention periods"]


def test_a_pdf_without_bookmarks_takes_bold_lines_at_the_body_size_as_headings():
    doc = read_pdf(w.handset_pdf_bytes(), "memo.pdf")
    # Rule P5: bold title lines standing alone are headings, one level under the largest type; a bold sentence, a
    # label, a bold paragraph over two lines, a table's bold header row and a bold line closing every page are not.
    assert [(h.level, h.text) for h in doc.headings] == [  # in reading order
        (1, "Server handbook"), (2, "Installing the server"), (2, "Ports and firewalls"), (1, "Retiring the server")]
    for kept in ("Never restart the server while the database upgrade runs.", "Requirements:",
                 "who runs the server", "Port Service Opened to"):
        assert kept in doc.text
    assert doc.text[doc.headings[2].start:].startswith("Ports and firewalls\n")
    port = doc.text.index("listens on port 8443")
    assert chunk_headings(doc.headings, port, 60)[0] == ["Server handbook", "Ports and firewalls"]
    wiped = doc.text.index("Old servers are wiped")
    assert chunk_headings(doc.headings, wiped, 60)[0] == ["Retiring the server"]
    # Rule P6: the bold body-size lines are minor headings; the larger type is not
    assert [h.minor for h in doc.headings] == [False, True, True, False]
    chunk = next(c for c in split_sections(doc.text, [], size=512, overlap=51, kind="pdf")
                 if "listens on port 8443" in c.text and "Old servers" not in c.text)
    meta = chunk_metadata(doc, chunk)
    assert meta["headings"][-1] == "Ports and firewalls" and meta["section_depth"] == len(meta["headings"]) - 1
    retired = chunk_metadata(doc, next(c for c in split_sections(doc.text, [], size=512, overlap=51, kind="pdf")
                                       if "Old servers are wiped" in c.text))
    assert retired["headings"] == ["Retiring the server"] and "section_depth" not in retired


def test_a_minor_pdf_heading_is_deeper_than_four_larger_sizes():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    fill = "The server keeps its tickets in a database that is backed up every night by the team. " * 5
    for size, text in ((24, "Handbook"), (20, "1 Setup"), (16, "1.1 Network"), (13, "1.1.1 Ports")):
        pdf.set_font("Helvetica", "B", size)
        pdf.cell(0, 12, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, fill, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 8, "Opening the firewall", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Port 8443 is opened to the office. " + fill, new_x="LMARGIN", new_y="NEXT")
    doc = read_pdf(bytes(pdf.output()), "deep.pdf")
    # the minor heading must not share the fourth size's level, or it would push "1.1.1 Ports" out of the path
    assert chunk_headings(doc.headings, doc.text.index("Port 8443"), 40)[0] == [
        "Handbook", "1 Setup", "1.1 Network", "1.1.1 Ports", "Opening the firewall"]


def test_a_bold_running_head_does_not_take_away_a_large_title_of_the_same_words():
    from fpdf import FPDF

    class Book(FPDF):
        def header(self) -> None:
            if self.page_no() > 1:
                self.set_font("Helvetica", "B", 11)
                self.cell(0, 8, "Installing the server", new_x="LMARGIN", new_y="NEXT")

    pdf = Book()
    fill = "The installer unpacks the server and its database and asks for the service account. " * 40
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, "Installing the server", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for _ in range(6):
        pdf.multi_cell(0, 6, fill, new_x="LMARGIN", new_y="NEXT")
    doc = read_pdf(bytes(pdf.output()), "book.pdf")
    assert len(doc.page_starts) >= 4  # the bold head opens three pages or more: a running head, left out
    assert [(h.level, h.text) for h in doc.headings] == [(1, "Installing the server")]


@pytest.mark.skipif(not w.DEJAVU.is_dir(), reason="needs Debian's fonts-dejavu-core to write a Unicode PDF")
def test_ligatures_in_a_pdfs_text_read_as_letters():
    doc = read_pdf(w.ligature_pdf_bytes(), "ligatures.pdf")
    # Rule P7: "conﬁguration" would match neither a keyword nor the embedder's vocabulary
    assert not re.search("[\ufb00-\ufb06]", doc.text + "".join(h.text for h in doc.headings))
    assert doc.text.startswith("Configuration files\nThe effect of the first flag is off by default, and the ffix and "
                               "ffly words")
    assert "x² and ½" in doc.text  # only the ligatures change
    assert [(h.level, h.text) for h in doc.headings] == [(1, "Configuration files")]
    assert doc.text[doc.headings[0].start:].startswith("Configuration files")


@pytest.mark.skipif(not w.DEJAVU.is_dir(), reason="needs Debian's fonts-dejavu-core to write a Unicode PDF")
def test_a_bookmark_over_a_line_with_ligatures_is_placed_at_that_line():
    pdf = w.dejavu_page()
    pdf.start_section("Start")
    pdf.multi_cell(0, 6, "Intro words here. " * 20, new_x="LMARGIN", new_y="NEXT")
    pdf.start_section("Server setup")  # a bookmark whose words are no line of the page: placed by position
    pdf.multi_cell(0, 6, "Conﬁguration of the server is done in one ﬁle. " * 5, new_x="LMARGIN", new_y="NEXT")
    doc = read_pdf(bytes(pdf.output()), "setup.pdf")
    setup = next(h for h in doc.headings if h.text == "Server setup")
    assert doc.text[setup.start:].startswith("Configuration of the server")


@pytest.mark.skipif(not w.DEJAVU.is_dir(), reason="needs Debian's fonts-dejavu-core to write a Unicode PDF")
def test_a_bookmark_title_with_ligatures_reads_as_letters():
    pdf = w.dejavu_page()
    pdf.start_section("Conﬁguration ﬁles")  # the bookmark's own text, apart from the page's
    pdf.multi_cell(0, 6, "Configuration files\n" + "Each file holds one setting per line. " * 8,
                   new_x="LMARGIN", new_y="NEXT")
    doc = read_pdf(bytes(pdf.output()), "setup.pdf")
    assert [h.text for h in doc.headings] == ["Configuration files"]
    assert doc.text[doc.headings[0].start:].startswith("Configuration files\nEach")


def test_a_pdf_set_in_one_size_has_no_headings_from_its_type():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in ("Notes", "Short lines in the body size are not headings.", "Nor is this one."):
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    doc = read_pdf(bytes(pdf.output()), "notes.pdf")
    assert doc.headings == [] and "Nor is this one." in doc.text


def test_a_page_set_large_throughout_gives_no_headings():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, "Opening hours", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 9, "A", new_x="LMARGIN", new_y="NEXT")  # a lone large letter (a drop cap; groff draws accents so)
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5, "The office opens at nine and closes at five on weekdays. " * 60)
    pdf.add_page()  # a poster: 70 short lines, all in type larger than the body's
    for i in range(70):
        pdf.set_font("Helvetica", "B", 12 + i % 2)  # sizes alternate, so no line reads as another's wrap
        pdf.set_xy(10, 5 + 4 * i)
        pdf.cell(0, 4, f"Room {i} open late")
    doc = read_pdf(bytes(pdf.output()), "poster.pdf")
    assert [h.text for h in doc.headings] == ["Opening hours"] and "Room 69 open late" in doc.text


def test_pdf_running_heads_and_page_numbers_are_left_out():
    doc = read_pdf(w.furnished_pdf_bytes(), "archive.pdf")
    starts = doc.page_starts
    pages = [doc.text[a:b].strip() for a, b in zip(starts, [*starts[1:], len(doc.text)], strict=True)]
    assert len(pages) == 8
    for number, page in enumerate(pages, 1):
        lines = page.split("\n")
        # The body is all that is left; the chapter's title, set in its running head's words, starts page 5.
        assert lines[0].startswith("Handbook: Disposal rules" if number == 5 else f"Page {number} explains box")
        assert not any(line.startswith("Handbook: Storage") or line.strip() == str(number) for line in lines)
    assert "Handbook: Storage rules" not in doc.text
    assert sum(p.endswith("Ask the archivist before moving a box.") for p in pages) == 3  # too few to be furniture
    (chapter,) = doc.headings
    assert (chapter.text, doc.location(chapter.start)["page"]) == ("Handbook: Disposal rules", 5)
    assert doc.text[chapter.start:].startswith("Handbook: Disposal rules\nPage 5 explains")


def test_a_damaged_pdf_outline_costs_the_headings_not_the_text(monkeypatch):
    from pypdf import PdfReader

    data = w.outlined_pdf_bytes()
    doc = to_documents(raw(data, "pdf", "travel.pdf"))[0]
    catalog = re.search(rb"/Outlines (\d+) 0 R", data)  # an outline object the file does not have
    assert catalog is not None
    missing = data.replace(catalog.group(), b"/Outlines " + b"9" * len(catalog.group(1)) + b" 0 R")
    assert to_documents(raw(missing, "pdf", "travel.pdf"))[0].headings == []

    def broken(self):
        raise KeyError("/Dest")  # what pypdf raises on some damaged outlines

    monkeypatch.setattr(PdfReader, "outline", property(broken))
    damaged = read_pdf(data, "travel.pdf")  # in this process, where the patch holds
    assert (damaged.text, damaged.headings, damaged.marks) == (doc.text, [], doc.marks)


def test_many_pdf_bookmarks_on_one_page_read_its_positions_once(monkeypatch):
    from pypdf import PageObject

    outline = [(1, "Shown otherwise", f"Bookmark {i}", f"Sentence {i}.") for i in range(60)]
    data = w.outlined_pdf_bytes([(0, "1 Start", "Start", "Opening."), *outline])
    reads = []
    extract = PageObject.extract_text

    def counted(self, *args, **kwargs):
        reads.append("visitor_text" in kwargs)
        return extract(self, *args, **kwargs)

    monkeypatch.setattr(PageObject, "extract_text", counted)
    doc = read_pdf(data, "many.pdf")
    at_line = [doc.text[h.start:].startswith("Shown otherwise\n") for h in doc.headings[1:]]
    assert len(doc.headings) == 61 and sum(at_line) >= 58, at_line  # fpdf2 may bookmark a page before breaking it
    assert 0 < sum(reads) <= len(doc.page_starts) < 61  # each page's positions read once, not once a bookmark


def test_pdf_chunks_carry_their_section_into_the_store(make_rag, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "travel.pdf").write_bytes(w.outlined_pdf_bytes())
    rag = make_rag()
    assert not rag.ingest([str(docs)]).failed
    hit = rag.search("How long must taxi receipts be kept?", k=1)[0]
    assert (hit.source, hit.metadata["page"], hit.headings) == ("travel.pdf", 2, ["Expense claims", "Receipts"])
    zurich = rag.search("hotel price limit in Zurich", k=1)[0]
    assert zurich.headings == ["Travel policy", "Hotel rates", "Hotel rates abroad"]
    (docs / "handbook.pdf").write_bytes(w.typeset_pdf_bytes())  # no bookmarks: its type gives the sections
    assert not rag.ingest([str(docs)]).failed
    kept = rag.search("How many years are signed contracts kept before shredding?", k=1)[0]
    assert (kept.source, kept.headings) == ("handbook.pdf", [w.TYPESET[3][1], "2.1 Retention periods"])


@pytest.mark.slow
def test_a_1000_page_document_is_parsed_in_bounded_memory():
    need("docx")
    data = w.docx_bytes(pages=1000)
    with Parser(timeout=300) as parser:
        doc = to_documents(raw(data, "docx", "long.docx"), parser=parser)[0]
        peak = parser.peak_rss_mb
    assert len(doc.headings) == 1003 and "Appendix page 1000." in doc.text
    assert len(doc.text) > 1_800_000 and peak < 400, peak  # the worker's whole resident size, interpreter included


def test_upload_of_a_docx_through_the_http_server(make_rag):
    need("docx")
    rag = make_rag()
    with serving(rag) as (url, _):
        res = httpx.post(f"{url}/v1/documents", timeout=120, files=[
            ("files", ("policy.docx", w.docx_bytes(), "application/octet-stream")),
            ("files", ("notes.pages", b"PK\x03\x04 not read", "application/octet-stream"))])
        report = res.json()
        assert res.status_code == 200 and report["documents"] == 1
        assert report["failed"][0]["source"] == "notes.pages"
        reason = report["failed"][0]["reason"]
        assert reason.startswith("unsupported file type '.pages': saferag reads .adoc, ")
        assert all(f" {suffix}," in reason for suffix in (".docx", ".msg", ".png"))
        hits = httpx.post(f"{url}/v1/search", json={"query": "Which flights must be economy class?", "k": 1}).json()
    assert hits["data"][0]["source"] == "policy.docx"


def test_parse_timeout_is_a_setting(monkeypatch):
    from saferag.config import load_settings

    assert load_settings().parse_timeout == 120
    monkeypatch.setenv("SAFERAG_PARSE_TIMEOUT", "7.5")
    assert load_settings().parse_timeout == 7.5


def _poi(name: str) -> Document:
    """A .docx Word saved (Apache POI's test data): python-docx cannot write tracked changes or content controls."""
    return formats.read("docx", (Path(__file__).parents[1] / "data" / "poi" / name).read_bytes(), name, 50 << 20)[0]


def test_word_text_in_tracked_changes_content_controls_and_smart_tags():
    need("docx")
    changed = _poi("delins.docx").text
    assert "Apache Tika 0.3 has been released." in changed  # inside w:ins: python-docx alone reads none of it
    assert "Maang Tika" not in changed and "Tika Waylan" not in changed  # deleted: left out, as Word prints
    controls = _poi("Bug55142.docx").text
    for text in ("Rich-text1 abcdefghi", "Plain-text2 abcdefg\nhijk\nlmnop", "sdt_incell2 abcdefg"):
        assert text in controls
    placeholder = _poi("tika-3816.docx").text
    assert "Here is just a sample" in placeholder and "Choose an item." not in placeholder
    tagged = _poi("smarttag-snippet.docx").text
    assert "Carnegie Mellon University School" in tagged and "Alice's Adventures" in tagged


def test_word_footnotes_and_endnotes_follow_what_refers_to_them():
    need("docx")
    assert _poi("footnotes.docx").text == "Eto ochen prostoy text so snoskoy\n\nsnoska"
    assert _poi("table_footnotes.docx").text == "Pole 1: slove\n\nsnoska"  # a note referred to in a table cell
    endnotes = _poi("endnotes.docx").text
    assert "Also known as Maang Tika.\n\nXXX\n\n" in endnotes and endnotes.count("XXX") == 1


def test_a_word_text_box_is_read_once():
    need("docx")
    text = _poi("60316.docx").text  # its box is written as a drawing and again as a VML fallback
    assert text.count("Allison, Timothy B.") == 1


def test_slide_charts_and_smartart_are_read():
    need("pptx")
    import pptx
    from pptx.chart.data import CategoryChartData, XyChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    prs = pptx.Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = "Support load"
    bars = CategoryChartData()
    bars.categories = ["Q1", "Q2"]
    bars.add_series("Tickets opened", (120, 95.5))
    bars.add_series("Tickets closed", (110, 101))
    chart = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(2), Inches(4), Inches(3),
                                   bars).chart
    chart.has_title = True
    chart.chart_title.text_frame.text = "Helpdesk tickets per quarter"
    points = XyChartData()
    series = points.add_series("Latency")
    for x, y in ((10, 1.5), (20, 2.25)):
        series.add_data_point(x, y)
    slide.shapes.add_chart(XL_CHART_TYPE.XY_SCATTER, Inches(5), Inches(2), Inches(4), Inches(3), points)
    text = formats.read("pptx", w.saved(prs), "load.pptx", 50 << 20)[0].text
    for line in ("Helpdesk tickets per quarter", "Q1; Tickets opened: 120; Tickets closed: 110",
                 "Q2; Tickets opened: 95.5; Tickets closed: 101", "Latency: (10, 1.5), (20, 2.25)"):
        assert line in text.splitlines()
    # SmartArt (PowerPoint saved it: python-pptx cannot write one): its three points in the diagram's order.
    smartart = formats.read("pptx", (Path(__file__).parents[1] / "data" / "poi" / "smartart-simple.pptx").read_bytes(),
                            "s.pptx", 50 << 20)[0].text
    assert "\nabc\ndef\nghi\n" in smartart
