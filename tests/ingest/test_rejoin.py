"""Words a PDF hyphenated at a line's end read whole inside its chunks, where the document writes them whole
(rule H2), and the chunks keep their places."""

from __future__ import annotations

from fpdf import FPDF

from saferag.ingest.document import Document
from saferag.ingest.extract import to_text
from saferag.ingest.headings import Heading
from saferag.ingest.rejoin import join_breaks, rejoined, vocabulary
from saferag.ingest.sources import DocumentRef, RawDocument
from saferag.ingest.splitter import Chunk, split_sections

LINES = ["Type the command in a shell. Every com-", "mand returns a status, and a built-",
         "in command runs in the shell itself. Each built-in is listed below. A pre-",
         "fix is not in the document otherwise."]


def _pdf(lines: list[str]) -> bytes:
    """One page, each string a line of its own (fpdf2 breaks at the newlines), as a typesetter's lines end."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, "\n".join(lines), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _read(data: bytes, kind: str = "pdf") -> Document:
    return to_text(RawDocument(ref=DocumentRef("manual", "manual", kind), data=data, kind=kind))


def _join(text: str, heads: tuple[int, ...] = ()) -> str:
    return join_breaks(text, vocabulary(text), heads)


def test_a_word_broken_over_lines_reads_whole_where_the_document_writes_it_so():
    doc = _read(_pdf(LINES))
    [chunk] = rejoined(doc, split_sections(doc.text, [], size=512, overlap=51, kind="pdf"))
    assert "Every command returns a status" in chunk.text  # "command" is written whole elsewhere
    assert "a built-\nin command" in chunk.text  # "built-in" is written with its hyphen elsewhere: a compound
    assert "A pre-\nfix is" in chunk.text  # neither form elsewhere: left as printed
    assert "com-\nmand" in doc.text  # the document's text is as read: offsets of pages and headings hold


def test_chunks_keep_their_places_and_only_their_words_change():
    doc = _read(_pdf(LINES * 12))
    chunks = split_sections(doc.text, [], size=200, overlap=20, kind="pdf")
    joined = rejoined(doc, chunks)
    assert [(c.index, c.start) for c in joined] == [(c.index, c.start) for c in chunks]
    assert sum("com-\nmand" in c.text for c in chunks) > 2
    assert not any("com-\nmand" in c.text for c in joined)
    assert [c.text.replace("command", "com-\nmand") for c in joined] == [c.text.replace("command", "com-\nmand")
                                                                         for c in chunks]


def test_only_a_pdf_is_rejoined():
    text = "\n".join(LINES)
    doc = _read(text.encode(), "text")
    chunks = split_sections(doc.text, [], size=512, overlap=51, kind="text")
    assert rejoined(doc, chunks) == chunks


def test_a_setting_named_in_camel_case_does_not_join_an_option_broken_at_its_hyphen():
    # "splitIndex" is a setting, "--split-index" an option: the break is the option's own hyphen
    text = "Set core.splitIndex to true, or pass --split-\nindex to the command."
    assert _join(text) == text


def test_a_capitalized_word_at_a_sentence_start_is_joined():
    assert _join("Com-\nmand names are case sensitive; a command is looked up.").startswith("Command names")


def test_an_option_broken_inside_a_chain_of_hyphens_keeps_its_hyphen():
    # "--no-split-index" written whole elsewhere says "split-index" is hyphenated, though "splitindex" is a word too
    chained = "Pass --no-split-\nindex to turn the splitindex file off; --no-split-index is the default."
    assert _join(chained) == chained
    assert _join("Pass --no-split-\nindex to turn the splitindex file off.").startswith("Pass --no-splitindex to")


def test_soft_hyphens_always_go():
    joined = _join("The config\u00ad\nuration file; the re\u00adload signal.")
    assert joined == "The configuration file; the reload signal."


def test_a_break_before_a_heading_is_left():
    text = "The last line ends in a hyphen-\nations\nations are written whole elsewhere: hyphenations."
    assert _join(text, (text.index("ations\n"),)) == text
    assert _join(text).startswith("The last line ends in a hyphenations\n")


def test_a_search_finds_the_whole_word_in_a_pdf(make_rag, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "manual.pdf").write_bytes(_pdf(["Type the command in a shell. Every com-",
                                            "mand returns a status."]))
    rag = make_rag()
    assert not rag.ingest([str(docs)]).failed
    [hit] = rag.search("Which command returns a status?", k=1, mode="bm25")
    assert "Every command returns a status." in hit.text


def test_a_heading_is_found_in_a_chunk_that_starts_late_and_was_stripped():
    first = "Intro words come first."
    text = first + "\n\n  \nThe last line ends in a hyphen-\nations\nations are written whole elsewhere: hyphenations."
    at = text.index("ations\n")
    chunk = Chunk(1, len(first), text[len(first):].strip())  # as the splitter gives it: its blanks stripped
    heading = Document(source="m.pdf", kind="pdf", text=text, title="", headings=[Heading(at, 1, "ations")])
    plain = Document(source="m.pdf", kind="pdf", text=text, title="")
    assert rejoined(heading, [chunk]) == [chunk]
    assert rejoined(plain, [chunk])[0].text.startswith("The last line ends in a hyphenations\n")


def test_a_chunk_is_never_emptied():
    text = "A soft\u00ad\nbreak. " + "\u00ad" * 40
    chunk = Chunk(1, text.index("\u00ad\u00ad"), "\u00ad" * 40)
    doc = Document(source="m.pdf", kind="pdf", text=text, title="")
    assert rejoined(doc, [chunk]) == [chunk]
