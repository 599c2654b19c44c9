"""Word headings set by hand (bold or large lines instead of ``Heading N`` styles) read as headings (rule W1), on
real files written by python-docx."""

from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path

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


def test_complex_script_sizes_and_bold_are_read_from_their_own_properties():
    lines = w.SCRIPT_HANDSETS["complex"]
    doc = read(w.complex_handset_docx_bytes())
    assert [(h.level, h.text) for h in doc.headings] == [(1, lines[0][1]), (2, lines[2][1]), (2, lines[4][1]),
                                                         (2, lines[7][1])]
    assert lines[6][1] in doc.text  # the bold warning is a sentence


def test_complex_script_formatting_leaves_western_text_as_it_is_unless_its_run_is_right_to_left():
    english = [("title", "Server handbook"), *[(k, t) for k, t in w.HANDSET[2:] if k in ("body", "head")]]
    assert read(w.complex_handset_docx_bytes(english, rtl=False)).headings == []  # Latin reads w:sz and w:b
    doc = read(w.complex_handset_docx_bytes(english))  # a right-to-left run is set in its complex-script type
    assert [h.text for h in doc.headings][:2] == ["Server handbook", "Installing the server"]


@pytest.mark.parametrize("lang", ["zh", "ar"])
def test_headings_formatted_by_hand_in_libreoffice_and_saved_as_word_are_read(lang):
    """Files LibreOffice itself wrote (``scripts/libreoffice_fixtures.py``): the Arabic title's size in ``w:szCs``
    alone, the Chinese one's in ``w:sz``."""
    data = (Path(__file__).parent.parent / "data" / f"libreoffice_handset_{lang}.docx").read_bytes()
    lines = w.SCRIPT_HANDSETS["asian" if lang == "zh" else "complex"]
    doc = read(data)
    assert [(h.level, h.text) for h in doc.headings] == [(1, lines[0][1]), (2, lines[2][1]), (2, lines[4][1]),
                                                         (2, lines[7][1])]


def test_complex_script_text_a_writer_sized_only_in_w_sz_reads_that_size():
    # python-docx's font.size and font.bold set w:sz and w:b alone: with no complex-script size or bold set
    # anywhere but the defaults, the run's own Western ones count (as they did before complex scripts were read)
    import docx
    from docx.shared import Pt

    lines = w.SCRIPT_HANDSETS["complex"]
    doc = docx.Document()
    for kind, text in lines:
        run = doc.add_paragraph().add_run(text)
        if kind == "title":
            run.font.size = Pt(22)
        elif kind != "body":
            run.font.bold = True
    buf = io.BytesIO()
    doc.save(buf)
    assert [(h.level, h.text) for h in read(buf.getvalue()).headings] == [
        (1, lines[0][1]), (2, lines[2][1]), (2, lines[4][1]), (2, lines[7][1])]
