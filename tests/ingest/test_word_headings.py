"""Word headings set by hand (bold or large lines instead of ``Heading N`` styles) read as headings (rule W1), on
real files written by python-docx."""

from __future__ import annotations

import importlib.util
import io
import zipfile

import format_writers as w
import pytest

from saferag.ingest.extract import to_documents
from saferag.ingest.sources import DocumentRef, RawDocument

pytestmark = pytest.mark.skipif(importlib.util.find_spec("docx") is None, reason="needs the formats extra")


def read(data: bytes):
    return to_documents(RawDocument(ref=DocumentRef("memo.docx", "memo.docx", "docx"), data=data, kind="docx"))[0]


def test_hand_set_headings_are_read_and_bold_sentences_labels_and_items_are_not():
    doc = read(w.handset_docx_bytes())
    assert [(h.level, h.text) for h in doc.headings] == [
        (1, "Server handbook"),  # 20 pt: the largest hand-set size
        (2, "Installing the server"), (2, "Ports and firewalls"),  # bold body size, directly and by a style
        (1, "Operations"),  # styled Heading 1
        (3, "Nightly backups"), (3, "Where are the backups kept?")]  # bold body size, below the styled heading
    assert doc.title == "Server handbook"
    for kept in ("Never restart the ticketing server while a database upgrade runs.", "Requirements:",
                 "Backup window", "Logs rotate nightly at two o'clock", "Closing remark"):
        assert kept in doc.text  # body text, not a heading
    assert doc.text.index("\n\nInstalling the server\n\n") + 2 == doc.headings[1].start
    assert "Installing the server 2" in doc.text  # the contents entry: text, not a heading


def test_a_document_set_bold_throughout_has_no_hand_set_headings():
    lines = [("head", f"Line {i} of a notice printed all in bold") for i in range(6)]
    assert read(w.handset_docx_bytes(lines)).headings == []


def test_styled_documents_read_as_before():
    doc = read(w.docx_bytes())
    assert [(h.level, h.text) for h in doc.headings] == [(1, "Travel policy"), (1, "Flights"), (2, "Hotel rates")]


def test_a_malformed_font_size_costs_that_line_its_heading_not_the_file():
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(w.handset_docx_bytes())) as zin, zipfile.ZipFile(buf, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":  # the first bold line ("Installing the server") gets sz="abc"
                data = data.replace(b"<w:b/>", b'<w:b/><w:sz w:val="abc"/>', 1)
            zout.writestr(item, data)
    doc = read(buf.getvalue())
    assert "Installing the server" in doc.text
    assert "Installing the server" not in [h.text for h in doc.headings]
    assert "Ports and firewalls" in [h.text for h in doc.headings]
