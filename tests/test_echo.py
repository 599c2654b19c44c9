"""A copied passage label at an answer's start is shown as a pointer, whole or streamed; other answers untouched."""

import random

import pytest

from saferag.echo import Tidier, labels, tidy
from saferag.prompts import build_prompt
from saferag.types import Hit

KNOWN = labels([(1, "sql-insert.html › Parameters › ON CONFLICT Clause › condition"),
                (2, "functions-datetime.html"),
                (3, "xfunc-sql.html › 38.5.11. Polymorphic SQL Functions")])

CASES = [
    # the label alone (9 of 50 PostgreSQL answers of the default model were only labels)
    ("[1] sql-insert.html › Parameters › ON CONFLICT Clause › condition",
     "See sql-insert.html › Parameters › ON CONFLICT Clause › condition [1]."),
    # the label's leading part, then the quoted passage
    ("[1] sql-insert.html › Parameters\nIf the row exists, DO UPDATE changes it.",
     "From sql-insert.html › Parameters [1]:\nIf the row exists, DO UPDATE changes it."),
    ("  [2] functions-datetime.html\n\nSELECT date_trunc('hour', a) FROM t3",
     "From functions-datetime.html [2]:\nSELECT date_trunc('hour', a) FROM t3"),
    # the quoted text keeps its own lines, code fences and all; Windows line ends too
    ("[2] functions-datetime.html\n```\nSELECT 1;\n```\nUse it.\n",
     "From functions-datetime.html [2]:\n```\nSELECT 1;\n```\nUse it.\n"),
    ("[2] functions-datetime.html\r\n\r\nSELECT 1;", "From functions-datetime.html [2]:\nSELECT 1;"),
    ("[2] functions-datetime.html\n\n\n", "See functions-datetime.html [2]."),
    # a label copied under another passage's number is cited by its own: the model quoted that passage
    ("[2] sql-insert.html › Parameters\nthe label of passage 1",
     "From sql-insert.html › Parameters [1]:\nthe label of passage 1"),
    ("[12] functions-datetime.html", "See functions-datetime.html [2]."),
    # several labels on one line
    ("[1] sql-insert.html › Parameters [3] xfunc-sql.html",
     "See sql-insert.html › Parameters [1] and xfunc-sql.html [3]."),
    ("[1] sql-insert.html [2] functions-datetime.html [3] xfunc-sql.html\nText.",
     "From sql-insert.html [1], functions-datetime.html [2] and xfunc-sql.html [3]:\nText."),
    # citations after the label keep their numbers
    ("[3] xfunc-sql.html › 38.5.11. Polymorphic SQL Functions [2].",
     "See xfunc-sql.html › 38.5.11. Polymorphic SQL Functions [3][2]."),
]

UNTOUCHED = [
    "Use `INSERT ... ON CONFLICT DO UPDATE` [1].",
    "[1] says to use ON CONFLICT.",  # a citation first, then the model's own words
    "[2] functions-datetime.html is where date_trunc is described.",  # the label, then more on its line
    "[1] sql-insert.html › Param\nnot a whole section name",  # cut inside a section name
    "[1] sql-insert.html › Parameters › ON CONFLICT\na section name cut short",
    "[1] functions-datetime.html › 8.5.1. Date/Time Input",  # a source with another page's sections
    "[1] sql-insert.html [2] is where it is",
    "[2] functions-datetime.html" + " " * 5000 + "x",  # degenerate: no backtracking, not a label
    "[2] functions-datetime.html" + " [2]" * 40,
    "",
]


def pieces(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize(("answer", "shown"), CASES)
def test_a_copied_label_becomes_a_pointer(answer, shown):
    assert tidy(answer, KNOWN) == shown


@pytest.mark.parametrize("answer", UNTOUCHED)
def test_other_answers_pass_through_as_written(answer):
    assert tidy(answer, KNOWN) == answer


@pytest.mark.parametrize("answer", [a for a, _ in CASES] + UNTOUCHED)
@pytest.mark.parametrize("size", [1, 3, 1000])
def test_a_stream_shows_what_the_whole_answer_shows(answer, size):
    shown: list[str] = []
    t = Tidier(KNOWN, shown.append)
    for piece in pieces(answer, size):
        t.feed(piece)
    t.close()
    assert "".join(shown) == tidy(answer, KNOWN)


@pytest.mark.parametrize("answer", [a for a, _ in CASES] + UNTOUCHED)
def test_a_stream_split_anywhere_shows_what_the_whole_answer_shows(answer):
    rng = random.Random(answer)
    for _ in range(50):
        cuts = sorted(rng.sample(range(1, len(answer)), min(len(answer) - 1, rng.randint(1, 12)))) \
            if len(answer) > 1 else []
        shown: list[str] = []
        t = Tidier(KNOWN, shown.append)
        for a, b in zip([0, *cuts], [*cuts, len(answer)], strict=True):
            t.feed(answer[a:b])
        t.close()
        assert "".join(shown) == tidy(answer, KNOWN), cuts


def test_a_degenerate_stream_is_released_without_holding_it_all():
    shown: list[str] = []
    t = Tidier(KNOWN, shown.append)
    for piece in ["[2] functions-datetime.html", *[" [2]"] * 30]:
        t.feed(piece)
    assert shown  # more citations than a label is followed by: not a label, shown
    shown.clear()
    t = Tidier(KNOWN, shown.append)
    for piece in ["[2] functions-datetime.html\n", *["\n"] * 3000]:
        t.feed(piece)  # blank lines after a label: held, each looked at alone
    t.feed("SELECT")
    assert shown == ["From functions-datetime.html [2]:\nSELECT"]


def test_a_stream_holds_back_only_while_the_opening_may_be_a_label():
    shown: list[str] = []
    t = Tidier(KNOWN, shown.append)
    t.feed("Use ")
    assert shown == ["Use "]  # not a label: shown at once
    t.feed("`date_trunc` [2].")
    assert shown == ["Use ", "`date_trunc` [2]."]
    shown.clear()
    t = Tidier(KNOWN, shown.append)
    for piece in ["[2", "] functions", "-datetime.html", "\n"]:
        t.feed(piece)
    assert shown == []  # still a label, and what follows decides its form
    t.feed("SELECT")
    assert shown == ["From functions-datetime.html [2]:\nSELECT"]
    t.feed(" 1;")
    t.close()
    assert "".join(shown) == "From functions-datetime.html [2]:\nSELECT 1;"


def test_the_prompt_lists_each_passage_label_with_its_number():
    hits = [Hit(text="best", source="a.html", score=0.9, chunk_index=0, metadata={"headings": ["Intro", "f(x)"]}),
            Hit(text="next", source="b.html", score=0.8, chunk_index=0),
            Hit(text="more", source="a.html", score=0.7, chunk_index=1, metadata={"headings": ["Usage"]})]
    p = build_prompt("q?", hits)
    assert p.labels == [(1, "a.html › Intro › f(x)"), (2, "b.html"), (1, "a.html › Usage")]
    for n, header in p.labels:  # each is the label the model sees above its passage
        assert f"[{n}] {header}\n" in p.messages[-1]["content"]
    known = labels(p.labels)
    assert tidy("[1] a.html › Intro\nbest", known) == "From a.html › Intro [1]:\nbest"
    assert tidy("[2] a.html › Intro", known) == "See a.html › Intro [1]."
    assert tidy("[1] a.html › Usage › more", known) == "[1] a.html › Usage › more"
