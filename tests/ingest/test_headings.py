"""Heading-aware chunks on real pages: Sphinx, DocBook, SQLite's HTML and saferag's own Markdown."""

from pathlib import Path

import pytest

from saferag.ingest.extract import to_text
from saferag.ingest.headings import chunk_headings, markdown_headings, path_at
from saferag.ingest.pipeline import embedding_text
from saferag.ingest.sources import DocumentRef, RawDocument

DATA = Path(__file__).parent.parent / "data"
DOCS = Path(__file__).parent.parent.parent / "docs"


def doc_of(path: Path, kind: str):
    return to_text(RawDocument(DocumentRef(path.name, str(path), kind), path.read_bytes(), kind))


def at(doc, phrase: str) -> tuple[list[str], str]:
    """The heading path and anchor of a short chunk that starts at ``phrase``."""
    return chunk_headings(doc.headings, doc.text.index(phrase), len(phrase), doc.title)


def test_sphinx_api_signatures_nest_under_their_class():
    doc = doc_of(DATA / "sphinx_projectapi.html", "html")
    path, anchor = at(doc, "Find all document files in the source directory")
    assert path[0] == "Project API" or path[0].startswith("class sphinx.project.Project")
    assert any(p.startswith("class sphinx.project.Project(") for p in path)
    assert path[-1].startswith("discover(exclude_paths")
    assert anchor == "sphinx.project.Project.discover"
    # the next method replaces it at the same depth; the class stays above both
    path, anchor = at(doc, "Return the filename for the document name")
    assert path[-1].startswith("doc2path(") and any(p.startswith("class sphinx.project.Project(") for p in path)
    assert anchor == "sphinx.project.Project.doc2path"
    assert not any("[source]" in p or "¶" in p for p in path)  # permalink and viewcode marks stripped


def test_docbook_parameters_are_definition_terms_with_their_ids():
    doc = doc_of(DATA / "docbook_pltcl_config.html", "html")
    path, anchor = at(doc, "This parameter is exactly like pltcl.start_proc, except that it applies to PL/TclU.")
    assert path == ["pltclu.start_proc (string)"]  # the section heading repeats the title, so it is left out
    assert anchor == "GUC-PLTCLU-START-PROC"


def test_sqlite_numbered_sections_with_ids():
    doc = doc_of(DATA / "sqlite_versionnumbers.html", "html")
    path, anchor = at(doc, "This historical version numbering system used")
    assert path == ["1. SQLite Version Numbers", "1.2. The Historical Numbering System (Before 2015-10-14)"]
    assert anchor == "the_historical_numbering_system_before_dateof_3_9_0_"


def test_markdown_headings_and_github_anchors_on_real_docs():
    doc = doc_of(DOCS / "architecture.md", "markdown")
    path, anchor = at(doc, "So a run killed at any point")
    assert path == ["Idempotent, crash-safe ingest"]  # "# Architecture" is the title
    assert anchor == "idempotent-crash-safe-ingest"


def test_markdown_fences_hold_no_headings_and_setext_headings_count():
    text = "Intro\n=====\n\n```sh\n# not a heading\n```\n\nPart two\n--------\n\ntext\n\n## Part two\n"
    heads = markdown_headings(text)
    assert [(h.level, h.text, h.anchor) for h in heads] == [
        (1, "Intro", "intro"), (2, "Part two", "part-two"), (2, "Part two", "part-two-1")]
    assert text[heads[1].start:].startswith("Part two")


def test_markdown_heading_text_is_read_as_commonmark_reads_it():
    text = ("```sh\n# not the title: a comment\n```\n\n# The *real* handbook\n\n## max_connections\n\n"
            "## `work_mem` and **more**\n\n## cmake\\_minimum\\_required\n\n## [Links](https://example.org) read\n\n"
            "## --output=<file>\n\n## <a name=\"anchor\"></a>Old<br>style\n")
    heads = markdown_headings(text)
    assert [(h.text, h.anchor) for h in heads] == [
        ("The real handbook", "the-real-handbook"), ("max_connections", "max_connections"),
        ("work_mem and more", "work_mem-and-more"), ("cmake_minimum_required", "cmake_minimum_required"),
        ("Links read", "links-read"), ("--output=<file>", "--outputfile"), ("Old style", "old-style")]
    doc = to_text(RawDocument(DocumentRef("h.md", "h.md", "markdown"), text.encode(), "markdown"))
    assert doc.title == "The real handbook"


def test_a_headings_attribute_block_names_its_anchor_and_is_not_its_text():
    text = ("### Settings {#settings-asciidoc}\n\n## Install {: #install .wide data-x=\"1 2\"}\n\n"
            "Setup {.note}\n-----\n\n## Sets {x} and {a: 1}\n\n## {#only}\n")
    assert [(h.text, h.anchor) for h in markdown_headings(text)] == [
        ("Settings", "settings-asciidoc"), ("Install", "install"), ("Setup", "setup"),
        ("Sets {x} and {a: 1}", "sets-x-and-a-1"), ("{#only}", "only")]


def test_the_path_is_the_one_in_effect_at_the_chunks_middle():
    doc = doc_of(DOCS / "architecture.md", "markdown")
    boundary = doc.text.index("## Known limits")
    before, _ = chunk_headings(doc.headings, boundary - 300, 400, doc.title)  # mostly the section before
    after, _ = chunk_headings(doc.headings, boundary - 100, 400, doc.title)  # mostly Known limits
    assert before != ["Known limits"] and after == ["Known limits"]
    assert [h.text for h in path_at(doc.headings, 0)] == ["Architecture"]


def test_the_path_is_embedded_above_the_chunk_and_can_be_turned_off():
    meta = {"title": "shutil", "headings": ["Directory operations", "copytree(src, dst)"]}
    assert embedding_text("body", meta) == "shutil\nDirectory operations › copytree(src, dst)\nbody"
    assert embedding_text("body", meta, embed_titles=False) == "body"
    assert embedding_text("body", {"title": ""}) == "body"


@pytest.mark.slow
def test_chunks_in_the_store_carry_path_and_anchor_and_answers_link_to_them(make_rag, tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    for name in ("sphinx_projectapi.html", "docbook_pltcl_config.html"):
        (folder / name).write_bytes((DATA / name).read_bytes())
    rag = make_rag()
    rag.ingest([str(folder)])
    hit = rag.search("Which setting names a Tcl function to run when a new interpreter starts?", k=1)[0]
    assert hit.source == "docbook_pltcl_config.html" and hit.headings == hit.metadata["headings"]
    assert hit.headings in (["pltcl.start_proc (string)"], ["pltclu.start_proc (string)"])
    assert hit.link == "docbook_pltcl_config.html#GUC-" + hit.headings[0].split()[0].replace(".", "-").replace(
        "_", "-").upper()
    # the filter language reaches the new metadata too
    hits = rag.search("document names", k=5, filter='metadata["anchor"] like "sphinx.project.Project.%"')
    assert hits and all(h.link.startswith("sphinx_projectapi.html#sphinx.project.Project.") for h in hits)


def test_a_heading_repeats_the_title_only_in_whole_words():
    from saferag.ingest.headings import Heading

    def path(title: str, *texts: str) -> list[str]:
        heads = [Heading(i * 10, i + 1, t) for i, t in enumerate(texts)]
        return chunk_headings(heads, len(texts) * 10, 5, title)[0]

    # rule T1: an option, or a word inside a title's word, names its own section
    assert path("git-add(1)", "OPTIONS", "-i") == ["OPTIONS", "-i"]
    assert path("add_custom_command — CMake 3.25.1 Documentation", "COMMAND") == ["COMMAND"]
    assert path("Installation Guide", "Install") == ["Install"]
    # a run of the title's own words repeats it
    assert path("git-add(1)", "git-add(1)", "-A") == ["-A"]
    assert path("Installation Guide — Acme 2.0", "Installation guide", "Guide") == []


def test_words_keep_their_combining_marks():
    from saferag.ingest.headings import Heading, norm_words

    # Devanagari and Thai words are full of combining marks; split at them, a word's pieces were "words" of their own
    assert norm_words("हिन्दी व्याकरण") == "हिन्दी व्याकरण"
    assert norm_words("ภาษาไทย: การตั้งค่า!") == "ภาษาไทย การตั้งค่า"
    assert norm_words("Naïve — CAFÉ, ﬁle") == "naïve café file"
    assert norm_words("Writing documentation ✍️") == "writing documentation"  # a variation selector is no word
    heads = [Heading(0, 1, "दी"), Heading(10, 1, "व्याकरण")]
    assert chunk_headings(heads, 2, 2, "हिन्दी व्याकरण")[0] == ["दी"]  # inside a word: its own section
    assert chunk_headings(heads, 12, 2, "हिन्दी व्याकरण")[0] == []  # a whole word of the title: a repeat
