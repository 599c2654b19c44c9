"""Document titles: a writer's placeholder is no title (rule P8), read through the real readers."""

from __future__ import annotations

import pytest
from corpus import html_page, pdf_bytes
from format_writers import eml_bytes, saved

from saferag.ingest.extract import to_documents, to_text
from saferag.ingest.sources import DocumentRef, RawDocument
from saferag.ingest.titles import document_title


def raw(data: bytes, kind: str, source: str = "doc") -> RawDocument:
    return RawDocument(ref=DocumentRef(source, source, kind), data=data, kind=kind)


@pytest.mark.parametrize("title", [
    "about:blank", "Untitled", "untitled document", "Untitled-1", "Untitled presentation", "(untitled)", "No Title",
    "Document1", "Document12", "Book1", "Presentation1", "Publication2", "Drawing1", "PowerPoint Presentation", "Title",
    "Untitled 1",
    "Microsoft Word - Document1", "Microsoft Word - Document1.docx", "Microsoft PowerPoint - Presentation1.pptx",
    "  ", "-", "—", "Untitled.pdf",
])
def test_a_writers_placeholder_is_no_title(title: str):
    assert document_title(title) == ""


@pytest.mark.parametrize("title,kept", [
    ("Microsoft Word - Quarterly report.docx", "Quarterly report"),
    ("Microsoft Excel - budget_2024.xlsx", "budget_2024"),
    ("Microsoft Word - Employee handbook", "Employee handbook"),
    ("release-notes.pdf", "release-notes"),
    ("Conﬁguration\n  ﬁles", "Configuration files"),
    ("F.1.\xa0adminpack", "F.1.\xa0adminpack"),  # the no-break space is how the page writes it
    # real titles that share a placeholder's words
    ("Document Object Model", "Document Object Model"), ("Title IX compliance", "Title IX compliance"),
    ("Book of Kells", "Book of Kells"), ("Layout managers", "Layout managers"), ("about:config", "about:config"),
    ("Untitled Goose Game review", "Untitled Goose Game review"), ("Using .txt files", "Using .txt files"),
    ("Node.js", "Node.js"), ("Microsoft Word tips", "Microsoft Word tips"), ("2024", "2024"),
    # numbered titles a person gave: a year, a volume, an error page
    ("Presentation 2024", "Presentation 2024"), ("Document 2023", "Document 2023"), ("Book 1", "Book 1"),
    ("Page 404", "Page 404"), ("Slide 1", "Slide 1"), ("Document 3", "Document 3"), ("Book123", "Book123"),
])
def test_a_real_title_is_kept_and_cleaned(title: str, kept: str):
    assert document_title(title) == kept


def test_a_pdf_printers_placeholder_title_is_dropped_and_its_file_name_kept():
    paragraphs = ["Quarterly revenue rose in every region but one."]
    blank = to_text(raw(pdf_bytes("Microsoft Word - Document1", paragraphs), "pdf"))
    named = to_text(raw(pdf_bytes("Microsoft Word - Quarterly report.docx", paragraphs), "pdf"))
    assert (blank.title, named.title) == ("", "Quarterly report")
    assert blank.text == named.text == paragraphs[0]


def test_every_document_of_a_file_gets_its_title_cleaned():
    page = html_page("Untitled document", ["Glaciers carve valleys over thousands of years."])
    [doc] = to_documents(raw(page.encode(), "html"))
    assert doc.title == "" and "Glaciers carve valleys" in doc.text


def test_a_placeholder_title_is_not_stored_or_embedded(make_rag, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "printed.pdf").write_bytes(pdf_bytes("about:blank", ["Glaciers carve valleys over thousands of years."]))
    (docs / "report.pdf").write_bytes(pdf_bytes("Microsoft Word - Quarterly report.docx",
                                                ["Revenue rose in every region but the north."]))
    rag = make_rag()
    assert not rag.ingest([str(docs)]).failed
    glacier = rag.search("How do glaciers shape valleys?", k=1)[0]
    revenue = rag.search("Which region did revenue not rise in?", k=1)[0]
    assert (glacier.source, glacier.metadata["title"]) == ("printed.pdf", "")
    assert (revenue.source, revenue.metadata["title"]) == ("report.pdf", "Quarterly report")


def _docx(core_title: str, heading: str) -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.title = core_title
    d.add_heading(heading, 1)
    d.add_paragraph("Badges are collected from the front desk on the first morning.")
    return saved(d)


def _pptx(core_title: str, slide_title: str) -> bytes:
    import pptx

    prs = pptx.Presentation()
    prs.core_properties.title = core_title
    slide = prs.slides.add_slide(prs.slide_layouts[1])
    slide.shapes.title.text = slide_title
    slide.placeholders[1].text = "Shipments to the south were delayed by the storm."
    return saved(prs)


def _odt(meta_title: str, heading: str) -> bytes:
    from odf import dc
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    doc = OpenDocumentText()
    doc.meta.addElement(dc.Title(text=meta_title))
    doc.text.addElement(H(outlinelevel=1, text=heading))
    doc.text.addElement(P(text="Laptops are issued by the service desk."))
    return saved(doc)


@pytest.mark.parametrize("kind,write", [("docx", _docx), ("pptx", _pptx), ("odt", _odt)])
def test_a_placeholder_core_title_gives_way_to_the_first_heading(kind, write):
    placeholder = {"docx": "Title", "pptx": "PowerPoint Presentation", "odt": "Untitled 1"}[kind]
    [doc] = to_documents(raw(write(placeholder, "First week on site"), kind))
    [named] = to_documents(raw(write("Onboarding guide", "First week on site"), kind))
    assert (doc.title, named.title) == ("First week on site", "Onboarding guide")


def test_a_printers_job_name_alone_is_no_title():
    assert document_title("Microsoft Word - ") == document_title("Microsoft Word -") == ""


def test_an_attached_documents_placeholder_title_is_cleaned_too():
    printed = pdf_bytes("about:blank", ["Glaciers carve valleys over thousands of years."])
    docs = to_documents(raw(eml_bytes({"printed.pdf": printed}), "eml"))
    assert len(docs) == 2 and "Glaciers carve valleys" in docs[1].text
    assert "about:blank" not in docs[1].title
