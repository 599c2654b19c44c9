"""No chunk of a PDF spans two of its sections (rule S1b): a PDF's headings bound the splitter as slides and
sheets do, a section too short to stand alone joins the next, and other kinds split as before."""

from pathlib import Path

import format_writers as w

from saferag.ingest import prepare
from saferag.ingest.document import Document
from saferag.ingest.extract import to_documents, to_text
from saferag.ingest.headings import Heading, chunk_path
from saferag.ingest.prepare import MIN_SECTION, document_hash, section_starts
from saferag.ingest.sources import DocumentRef, RawDocument
from saferag.ingest.splitter import split_sections

DATA = Path(__file__).parent.parent / "data"


def chunks_of(doc):
    return split_sections(doc.text, section_starts(doc), size=512, overlap=51, kind=doc.kind)


def test_no_chunk_of_a_bookmarked_pdf_spans_two_sections_and_each_has_its_own_path():
    doc = to_documents(RawDocument(DocumentRef("travel.pdf", "travel.pdf", "pdf"), w.outlined_pdf_bytes(), "pdf"))[0]
    bounds = section_starts(doc)
    assert bounds and set(bounds) <= {h.start for h in doc.headings}
    chunks = chunks_of(doc)
    assert all(not any(c.start < b < c.start + len(c.text) for b in bounds) for c in chunks)
    for head in doc.headings:
        if head.start in bounds:  # the section's first chunk opens on its heading and carries its path
            chunk = next(c for c in chunks if head.start <= c.start <= head.start + 1)
            assert chunk_path(doc.headings, chunk.start, len(chunk.text), doc.title)[0][-1] is head
    # the fixed-size splitting it replaces ran sections together
    plain = split_sections(doc.text, [], size=512, overlap=51, kind=doc.kind)
    assert any(c.start < b < c.start + len(c.text) for c in plain for b in bounds)


def test_a_section_shorter_than_min_section_joins_the_next():
    text = ("Setup\n\nPorts\n\n" + "The server listens on port 8443. " * 8
            + "\n\nBackups\n\n" + "Tapes go to the safe. " * 8)
    heads = [Heading(text.index(t), level, t) for t, level in (("Setup", 1), ("Ports", 2), ("Backups", 2))]
    doc = Document("guide.pdf", "pdf", text, "Guide", headings=heads)
    assert heads[1].start - heads[0].start < MIN_SECTION <= heads[2].start - heads[1].start
    assert section_starts(doc) == [heads[2].start]  # "Setup" holds nothing but "Ports": they open one span
    first = chunks_of(doc)[0]
    assert first.start == 0 and "Ports" in first.text and "Backups" not in first.text


def test_other_kinds_are_split_as_before():
    page = DATA / "sphinx_projectapi.html"
    doc = to_text(RawDocument(DocumentRef(page.name, str(page), "html"), page.read_bytes(), "html"))
    assert doc.headings and section_starts(doc) == []  # HTML sections are often shorter than a chunk (rule S1)


def test_a_change_to_one_kind_s_splitting_re_embeds_that_kind_only(monkeypatch):
    pdf = Document("a.pdf", "pdf", "Some text.", "A")
    html = Document("a.html", "html", "Some text.", "A")
    before = document_hash(pdf, 512, 51), document_hash(html, 512, 51)
    monkeypatch.setitem(prepare.KIND_VERSIONS, "pdf", "2")
    assert document_hash(pdf, 512, 51) != before[0] and document_hash(html, 512, 51) == before[1]
