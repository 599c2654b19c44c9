"""A copied passage label at an answer's start is shown as a pointer, whole or streamed; other answers untouched."""

import random

import pytest

from saferag.echo import QUOTE_CHARS, Tidier, bare, labels, opening, opens_mid_sentence, tidy
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


PASSAGES = {1: "rows. If the row exists, DO UPDATE changes it. Otherwise the row is inserted as given.",
            2: "date_trunc(field, source) truncates a timestamp to the given precision.",
            3: "SQL functions can be declared to accept polymorphic types."}


@pytest.mark.parametrize(("answer", "shown"), [
    # a bare pointer quotes its passage, from its first whole sentence (the chunk began inside one)
    ("[1] sql-insert.html › Parameters",
     "From sql-insert.html › Parameters [1]:\n> If the row exists, DO UPDATE changes it. Otherwise the row is "
     "inserted as given."),
    # an identifier opening a passage is not a broken sentence; several labels quote the first one's passage
    ("[2] functions-datetime.html [3] xfunc-sql.html",
     "From functions-datetime.html [2] and xfunc-sql.html [3]:\n> date_trunc(field, source) truncates a timestamp "
     "to the given precision."),
    # a label under another passage's number quotes the passage it copied
    ("[3] functions-datetime.html\n\n", "From functions-datetime.html [2]:\n> date_trunc(field, source) "
                                        "truncates a timestamp to the given precision."),
])
def test_a_bare_pointer_quotes_the_opening_of_its_passage(answer, shown):
    assert bare(answer, KNOWN)
    assert tidy(answer, KNOWN, PASSAGES) == shown
    for size in (1, 3, 7):  # streamed, the same
        out: list[str] = []
        t = Tidier(KNOWN, out.append, PASSAGES)
        for piece in pieces(answer, size):
            t.feed(piece)
        t.close()
        assert "".join(out) == shown


@pytest.mark.parametrize("answer", [case[0] for case in CASES if not case[1].startswith("See ")] + UNTOUCHED)
def test_an_answer_with_words_of_its_own_quotes_nothing(answer):
    assert tidy(answer, KNOWN, PASSAGES) == tidy(answer, KNOWN)
    assert not bare(answer, KNOWN) or not answer.strip()


def test_without_its_passage_a_bare_pointer_stays_a_pointer():
    assert tidy("[1] sql-insert.html", KNOWN, {2: "x"}) == "See sql-insert.html [1]."
    assert tidy("[1] sql-insert.html", KNOWN, {1: "  \n"}) == "See sql-insert.html [1]."


def test_the_quote_is_whole_sentences_within_its_bound():
    sentence = "Copy the tree with copytree(), which keeps the metadata. "
    quote = opening(sentence * 20)
    assert len(quote) <= QUOTE_CHARS and quote.endswith("metadata.") and "\n" not in quote
    long_words = "word " * 200  # no sentence end at all: cut at a word
    assert opening(long_words).endswith(" …") and len(opening(long_words)) <= QUOTE_CHARS + 2
    assert opening("and the rest of it.") == "and the rest of it."  # a fragment and nothing after: kept
    assert opening("os.kill(pid, sig) sends a signal. More.") == "os.kill(pid, sig) sends a signal. More."


@pytest.mark.parametrize(("answer", "mid"), [
    ("From a.html › Session [1]:\na changeset as a DELETE followed by an INSERT.", True),
    ("and then the row is updated [1].", True),
    ("From a.html › Session [1]:\n> The changeset is applied in order.", False),
    ("From a.html [1]:\nshutil.copytree(src, dst) copies a tree.", False),
    ("Use the `--compress` option of `backup` [2].", False),
    ("From what the excerpts say,\nthe option is `x` [1].", False),  # an answer's own first line, not a pointer
])
def test_an_answer_opening_inside_a_sentence_is_counted(answer, mid):
    assert opens_mid_sentence(answer) is mid
