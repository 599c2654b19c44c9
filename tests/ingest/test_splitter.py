import pytest

from saferag.ingest.splitter import split

PROSE = " ".join(
    f"Sentence number {i} talks about topic {i % 7} in a few plain words, then ends here." for i in range(200)
)


def test_chunks_respect_size_and_cover_the_text():
    chunks = split(PROSE, size=512, overlap=51)
    assert len(chunks) > 10
    assert all(len(c.text) <= 512 for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for c in chunks:  # offsets point at the chunk in the original text
        assert PROSE[c.start:c.start + len(c.text)] == c.text
    # every sentence survives in some chunk
    for i in range(200):
        assert any(f"Sentence number {i} " in c.text for c in chunks)


def test_neighbouring_chunks_overlap_by_about_the_overlap():
    chunks = split(PROSE, size=512, overlap=51)
    overlaps = [max(0, a.start + len(a.text) - b.start) for a, b in zip(chunks, chunks[1:], strict=False)]
    assert all(o > 0 for o in overlaps)
    assert 30 <= sum(overlaps) / len(overlaps) <= 51


def test_overlap_starts_at_a_word_boundary():
    for b in split(PROSE)[1:]:
        assert b.start == 0 or PROSE[b.start - 1].isspace()


def test_no_overlap_and_custom_size():
    chunks = split(PROSE, size=200, overlap=0)
    assert all(len(c.text) <= 200 for c in chunks)
    assert all(a.start + len(a.text) <= b.start for a, b in zip(chunks, chunks[1:], strict=False))


def test_offsets_are_characters_in_non_ascii_text():
    text = "Ünïcödé façade — naïve café. " * 80
    for c in split(text, size=128, overlap=16):
        assert text[c.start:c.start + len(c.text)] == c.text


def test_overlap_must_be_smaller_than_size():
    with pytest.raises(ValueError):
        split(PROSE, size=100, overlap=100)
