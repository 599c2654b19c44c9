"""OpenDocument headings set by hand (bold or large paragraphs instead of ``text:h``) read as headings (rule O1),
on real files written by odfpy the ways LibreOffice saves hand formatting."""

from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path

import format_writers as w
import pytest

from saferag.ingest.extract import to_documents
from saferag.ingest.sources import DocumentRef, RawDocument

pytestmark = pytest.mark.skipif(importlib.util.find_spec("odf") is None, reason="needs odfpy (the test extra)")


def read(data: bytes):
    return to_documents(RawDocument(ref=DocumentRef("memo.odt", "memo.odt", "odt"), data=data, kind="odt"))[0]


def edited(data: bytes, *replacements: tuple[bytes, bytes]) -> bytes:
    """The package with content.xml edited, every other part as written."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(buf, "w") as zout:
        for item in zin.infolist():
            part = zin.read(item.filename)
            if item.filename == "content.xml":
                for old, new in replacements:
                    assert old in part
                    part = part.replace(old, new)
            zout.writestr(item, part)
    return buf.getvalue()


def test_hand_set_headings_are_read_and_bold_sentences_labels_items_and_contents_are_not():
    doc = read(w.handset_odt_bytes())
    assert [(h.level, h.text) for h in doc.headings] == [
        (1, "Server handbook"),  # 200 % of the 12 pt default: the largest hand-set size
        (2, "Installing the server"), (2, "Ports and firewalls"),  # bold by a paragraph style, by a text style
        (1, "Operations"),  # text:h
        (3, "Nightly backups"), (3, "Where are the backups kept?")]  # bold body size, below the text:h
    assert doc.title == "Server handbook"
    for kept in ("Never restart the ticketing server while a database upgrade runs.", "Requirements:",
                 "Backup window", "Logs rotate nightly at two o'clock", "Closing remark", "Installing the server 2"):
        assert kept in doc.text  # body text, not a heading
    assert doc.text.index("\n\nInstalling the server\n\n") + 2 == doc.headings[1].start


def test_a_paragraph_in_the_title_style_is_a_level_one_heading():
    doc = read(w.handset_odt_bytes(title_style="Title"))
    assert [(h.level, h.text) for h in doc.headings][:2] == [(1, "Server handbook"), (2, "Installing the server")]
    assert doc.title == "Server handbook"


def test_a_document_set_bold_throughout_has_no_hand_set_headings():
    lines = [("head", f"Line {i} of a notice printed all in bold") for i in range(6)]
    assert read(w.handset_odt_bytes(lines)).headings == []


def test_styled_documents_read_as_before():
    doc = read(w.odt_bytes())
    assert [(h.level, h.text) for h in doc.headings] == [(1, "First week"), (2, "Equipment")]


@pytest.mark.parametrize("size", [b"huge", b"1" + b"0" * 400 + b"pt", b"9" * 310 + b"%", b"0pt"])
def test_malformed_sizes_weights_and_looping_styles_cost_no_file(size):
    data = edited(w.handset_odt_bytes(),
                  (b'fo:font-size="200%"', b'fo:font-size="' + size + b'"'),  # the title's size: unreadable
                  (b'fo:font-weight="700"', 'fo:font-weight="²"'.encode()),  # the bold spans' weight: unreadable
                  (b'style:name="P2" style:family="paragraph" style:parent-style-name="Standard"',
                   b'style:name="P2" style:family="paragraph" style:parent-style-name="P2"'))  # its own parent
    doc = read(data)
    assert "Server handbook" in doc.text and "Server handbook" not in [h.text for h in doc.headings]
    assert [h.text for h in doc.headings][:2] == ["Installing the server", "Ports and firewalls"]


def test_a_damaged_styles_part_costs_its_styles_not_the_file():
    data = bytearray(w.handset_odt_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("styles.xml")
    assert info.compress_type == zipfile.ZIP_DEFLATED
    name_len, extra_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    at = info.header_offset + 30 + name_len + extra_len
    data[at:at + 4] = b"\xff\xff\xff\xff"  # the deflate stream no longer inflates (zlib.error)
    doc = read(bytes(data))
    assert "Installing the server" in [h.text for h in doc.headings]  # bold by content.xml's own styles
    assert "Ports and firewalls" in doc.text  # bold by a named style of styles.xml: unknown now, body text


def test_a_heading_is_its_own_words_and_text_boxes_hold_no_hand_set_heading():
    lines = [("footnoted", "Installing the server"), ("body", w.HANDSET[2][1]), ("boxed", "Draft for review"),
             ("head", "Ports and firewalls"), ("body", w.HANDSET[6][1])]
    doc = read(w.handset_odt_bytes(lines))
    assert [(h.level, h.text) for h in doc.headings] == [(1, "Installing the server"), (1, "Ports and firewalls")]
    after = doc.text[doc.headings[0].start:]
    assert after.startswith("Installing the server\n\nMeasured in the spring of 2020.")  # the footnote, after it
    assert "Draft for review" in doc.text


@pytest.mark.parametrize("name, write", [
    pytest.param("handbook.docx", w.handset_docx_bytes, id="docx",
                 marks=pytest.mark.skipif(importlib.util.find_spec("docx") is None, reason="needs the formats extra")),
    pytest.param("handbook.odt", w.handset_odt_bytes, id="odt")])
def test_a_hand_set_heading_is_a_hit_s_section(make_rag, tmp_path, name, write):
    """Word's and OpenDocument's the same way: one rule (``handset.py``) over each format's reading of its type."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / name).write_bytes(write([line for line in w.HANDSET if line[0] != "contents"]))
    rag = make_rag()
    assert not rag.ingest([str(docs)]).failed
    hit = rag.search("Which port does the ticketing server listen on?", k=1)[0]
    assert hit.source == name
    assert hit.headings == ["Ports and firewalls"]  # under the document's title, which a path does not repeat


@pytest.mark.parametrize("change, heading", [(b"12pt", True), (b"+0.5in", True), (b"-2pt", False), (b"-20pt", False),
                                             (b"big", False)])
def test_a_size_set_relative_to_the_parent_style_is_read(change, heading):
    # style:font-size-rel adds a length to the parent's size: +12 pt on the 12 pt default is the title's 24 pt
    doc = read(edited(w.handset_odt_bytes(), (b'fo:font-size="200%"', b'style:font-size-rel="' + change + b'"')))
    assert ("Server handbook" in [h.text for h in doc.headings]) is heading
    assert "Server handbook" in doc.text


@pytest.mark.parametrize("script", ["asian", "complex"])
def test_headings_set_in_a_script_class_s_own_size_and_weight_are_read(script):
    # LibreOffice sets a Chinese or Arabic selection's size and bold in style:font-size-asian / -complex alone
    lines = w.SCRIPT_HANDSETS[script]
    doc = read(w.handset_odt_bytes(w.SCRIPT_HANDSETS[script], script=script))
    assert [(h.level, h.text) for h in doc.headings] == [
        (1, lines[0][1]),  # 200 % of the class's default size
        (2, lines[2][1]), (2, lines[4][1]), (2, lines[7][1])]  # bold by a paragraph style, a text style
    assert doc.title == lines[0][1]
    assert lines[6][1] in doc.text  # a bold sentence (ending in "。" or "."): body text


def test_a_script_class_s_size_leaves_the_other_classes_text_as_it_is():
    doc = read(edited(w.handset_odt_bytes(), (b'fo:font-size="200%"', b'style:font-size-asian="200%"')))
    assert "Server handbook" not in [h.text for h in doc.headings]  # English text at the Western 12 pt
    assert [h.text for h in doc.headings][:2] == ["Installing the server", "Ports and firewalls"]


def test_digits_and_latin_words_in_an_asian_heading_are_read_in_their_own_classes():
    lines = [("title", "第1章 安装"), *w.SCRIPT_HANDSETS["asian"][1:]]
    doc = read(w.handset_odt_bytes(lines, script="asian"))
    assert doc.headings[0].text == "第1章 安装"  # "1" and the space take the Chinese size around them
    lines[0] = ("title", "第1章 Setup")  # "Setup" stays at the Western 12 pt: the line is not wholly larger
    assert "第1章 Setup" not in [h.text for h in read(w.handset_odt_bytes(lines, script="asian")).headings]


@pytest.mark.parametrize("lang, script", [("zh", "asian"), ("ar", "complex")])
def test_headings_formatted_by_hand_in_libreoffice_are_read(lang, script):
    """Files LibreOffice itself wrote (``scripts/libreoffice_fixtures.py``): the grown title's size is in the script
    class's own property alone, the bold lines in all three."""
    data = (Path(__file__).parent.parent / "data" / f"libreoffice_handset_{lang}.odt").read_bytes()
    assert f"style:font-size-{script}=".encode() in zipfile.ZipFile(io.BytesIO(data)).read("content.xml")
    lines = w.SCRIPT_HANDSETS[script]
    doc = read(data)
    assert [(h.level, h.text) for h in doc.headings] == [(1, lines[0][1]), (2, lines[2][1]), (2, lines[4][1]),
                                                         (2, lines[7][1])]
    assert doc.title == lines[0][1]


def test_text_of_a_class_the_file_sets_nothing_for_is_read_in_the_western_type():
    # a writer that knows only fo:font-size and fo:font-weight (odfpy's handbook writer), here with Chinese lines
    lines = [(kind, text) for kind, text in w.SCRIPT_HANDSETS["asian"]]
    doc = read(w.handset_odt_bytes(lines))
    assert [(h.level, h.text) for h in doc.headings] == [(1, lines[0][1]), (2, lines[2][1]), (2, lines[4][1]),
                                                         (2, lines[7][1])]
