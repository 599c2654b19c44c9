"""Page furniture left out of PDF text: spans and headings moved with the text (the PDF path is in test_formats)."""

from saferag.ingest.formats.furniture import furniture, strip_furniture
from saferag.ingest.headings import Heading


def _pages(n: int) -> list[str]:
    return [f"Guide: Chapter One {i}\nBody of page {i} starts here.\n{i}" if i != 3 else
            f"Guide: Chapter One {i}\nSetup\nBody of page {i} starts here.\n{i}" for i in range(1, n + 1)]


def test_running_heads_and_numbers_go_and_headings_move_whatever_their_order():
    texts = _pages(5)
    starts, at = [], 0
    for text in texts:
        starts.append(at)
        at += len(text) + 2
    setup = Heading(starts[2] + texts[2].index("Setup"), 2, "Setup")
    head = Heading(starts[4], 1, "Guide: Chapter One")  # a heading on a running head's line keeps it
    out, moved = strip_furniture(texts, furniture(texts), [head, setup], starts)  # not in text order
    assert out[0] == "Body of page 1 starts here."
    assert out[2] == "Setup\nBody of page 3 starts here."
    assert out[4] == "Guide: Chapter One 5\nBody of page 5 starts here."
    joined = "\n\n".join(out)
    assert [joined[h.start:h.start + 18] for h in moved] == ["Guide: Chapter One", "Setup\nBody of page"]


def test_a_line_on_too_few_page_edges_stays():
    texts = [f"Note to self\nPage {i} text." for i in range(1, 4)]
    texts += [f"About item x{i}\nMore on x{i}." for i in range(30)]
    assert all(spans == [] for spans in furniture(texts))  # 3 pages, under max(4, 5 % of 33)
