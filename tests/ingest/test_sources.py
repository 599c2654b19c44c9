from pathlib import Path

import pytest

from saferag.errors import InputNotFoundError
from saferag.ingest.sources import discover


def test_directory_is_walked_recursively_with_sources_relative_to_root(corpus: Path):
    found = discover([str(corpus)])
    by_source = {r.source: r.kind for r in found.refs}
    assert by_source == {
        "geology/volcanoes.html": "html", "kitchen/sourdough.md": "markdown",
        "space/jupiter.txt": "text", "manuals/bicycle.pdf": "pdf",
        "networking/tcp.html": "html", "garden/compost.md": "markdown",
    }


def test_unsupported_and_hidden_files_are_skipped(corpus: Path):
    (corpus / "photo.png").write_bytes(b"\x89PNG")
    (corpus / ".hidden.md").write_text("secret")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "notes.txt").write_text("git internals")
    found = discover([str(corpus)])
    assert found.skipped == ["photo.png"]
    assert not any(r.source.startswith(".") for r in found.refs)


def test_glob_filters_by_relative_path_or_name(corpus: Path):
    assert {r.source for r in discover([str(corpus)], glob="*.md").refs} == {
        "kitchen/sourdough.md", "garden/compost.md"}
    assert {r.source for r in discover([str(corpus)], glob="geology/*").refs} == {"geology/volcanoes.html"}


def test_single_file_and_file_url_use_the_file_name(corpus: Path):
    path = corpus / "space" / "jupiter.txt"
    assert [r.source for r in discover([str(path)]).refs] == ["jupiter.txt"]
    assert [r.source for r in discover([path.as_uri()]).refs] == ["jupiter.txt"]


def test_missing_path_raises_before_anything_is_read(tmp_path: Path):
    with pytest.raises(InputNotFoundError, match="no such file or directory: .*nope"):
        discover([str(tmp_path), str(tmp_path / "nope")])


def test_urls_are_kept_as_sources():
    found = discover(["https://example.org/docs/page.html"])
    assert found.refs[0].source == "https://example.org/docs/page.html"
    assert found.refs[0].is_url


def test_mdx_pages_are_found(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "intro.mdx").write_text("# Intro\n\nHello.\n")
    assert [(r.source, r.kind) for r in discover([str(tmp_path)]).refs] == [("docs/intro.mdx", "mdx")]
