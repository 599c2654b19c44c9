"""An answer that opens by copying passage labels ("[1] page.html › Section") shows them as pointers instead.

Small models (the packaged 0.5B default) often begin an answer by copying the label saferag writes above the
passage they quote, and sometimes write nothing else: 39 of 50 PostgreSQL answers began so, 9 of them with
nothing after it (docs/benchmarks.md). The label stays, as it names the source and often holds the API the
question asks for, but as a sentence: "From page.html › Section [1]:" above the quoted text. When the label is all
there is, the first whole sentences of the passage it points to are quoted under it (rule A3 in
benchmarks/answer_rules.md: 10 more keys named in 247 answers, nothing slower), or without them "See page.html ›
Section [1].". Only a line made of exact copies of labels (or of their leading parts, up to a section boundary) is
touched; any other answer passes through as written. Each label belongs to one source and so to one number: a label
copied under another passage's number is cited with its own (the model quoted that one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from saferag.ingest.headings import SEPARATOR

#: A copied label's number, with the spaces before it when it is not the first on its line.
_NUMBER = re.compile(r"[ \t]{0,3}\[([0-9]{1,3})\] ")
_PARTIAL_NUMBER = re.compile(r"\[?[0-9]{0,3}\]?")
#: What may follow the labels on their line: a few citations and a full stop or colon. Bounded, so a degenerate
#: answer (a label and thousands of spaces) costs no backtracking, and a stream holds at most this much after it.
_TAIL = re.compile(r"((?:[ \t]{0,3}\[[0-9]{1,3}\]){0,8})[ \t]{0,3}[.:]?[ \t\r]{0,3}")
_TAIL_CHARS = frozenset(" \t\r[].:0123456789")
_MAX_TAIL = 72  # longer than anything _TAIL matches
_MAX_LABELS = 4  # labels on one line
#: Characters of a passage quoted under a bare pointer: about two sentences.
QUOTE_CHARS = 400
_SENTENCE_END = re.compile(r"[.!?](?=\s)\s*")
#: How a chunk that begins inside a sentence starts: a plain lower-case word or a stray mark (not an identifier such
#: as ``shutil.copytree(``, which often opens a passage).
_FRAGMENT = re.compile(r"(?:[a-z]+(?:[\s,;:)]|[.!?](?:\s|$))|[,;:.)\]])")


def labels(numbered: Iterable[tuple[int, str]]) -> dict[str, int]:
    """Every form of each passage's label a copy may stop at (the whole path and each leading part), with the
    number its source is cited by."""
    out: dict[str, int] = {}
    for n, header in numbered:
        parts = header.split(SEPARATOR)
        out.update((SEPARATOR.join(parts[:i]), n) for i in range(1, len(parts) + 1))
    return dict(sorted(out.items(), key=lambda item: -len(item[0])))  # longest first: a copy stops at the longest


def _parse(line: str, known: dict[str, int]) -> tuple[list[tuple[str, int]], int, int]:
    """The labels copied at the start of ``line`` (each as written and its own number), where the last one's
    text starts, and where they end."""
    found: list[tuple[str, int]] = []
    start = pos = 0
    while len(found) < _MAX_LABELS and (m := _NUMBER.match(line, pos)):
        rest = line[m.end():]
        where = next((form for form in known if rest.startswith(form)), None)
        if where is None:
            break
        found.append((where, known[where]))
        start, pos = m.end(), m.end() + len(where)
    return found, start, pos


def _as_pointer(line: str, known: dict[str, int]) -> str | None:
    """``line`` as a pointer ("page.html › Section [1]", several joined by "and"), if it is copied labels with at
    most citations and a stop after them."""
    found, _, end = _parse(line, known)
    tail = _TAIL.fullmatch(line[end:]) if found else None
    if tail is None:
        return None
    places = [f"{where} [{n}]" for where, n in found]
    places[-1] += "".join(tail.group(1).split())
    return places[0] if len(places) == 1 else ", ".join(places[:-1]) + " and " + places[-1]


def tidy(text: str, known: dict[str, int], passages: Mapping[int, str] | None = None) -> str:
    """``text`` with an opening line of copied labels written as a pointer to those passages; a pointer with
    nothing after it quotes the opening of the passage it points to, when ``passages`` (number -> text) has it."""
    first, _, rest = text.lstrip().partition("\n")
    pointer = _as_pointer(first, known)
    if pointer is None:
        return text
    quoted = rest.lstrip("\r\n")  # the blank lines between the labels and the text, not those inside it
    if quoted.strip():
        return f"From {pointer}:\n{quoted}"
    passage = (passages or {}).get(_parse(first, known)[0][0][1], "")
    return f"From {pointer}:\n> {opening(passage)}" if passage.strip() else f"See {pointer}."


def bare(text: str, known: dict[str, int]) -> bool:
    """Whether ``text`` is nothing but a line of copied labels: a pointer, not an answer."""
    first, _, rest = text.lstrip().partition("\n")
    return not rest.strip() and _as_pointer(first, known) is not None


def opens_mid_sentence(answer: str) -> bool:
    """Whether an answer's text (after a "From … [n]:" pointer line and a "> " quote mark) opens with a lower-case
    word or a stray mark: a passage copied from inside a sentence, which reads as broken (``evaluate_answers``)."""
    first, newline, rest = answer.strip().partition("\n")
    text = rest if newline and first.startswith("From ") and first.rstrip().endswith(":") else answer
    return bool(_FRAGMENT.match(" ".join(text.split()).removeprefix("> ")))


def opening(passage: str, limit: int = QUOTE_CHARS) -> str:
    """The first whole sentences of ``passage`` within ``limit`` characters, on one line. A chunk may begin inside
    a sentence (chunks overlap): that fragment is skipped when the sentence ends soon after."""
    text = " ".join(passage.split())
    if _FRAGMENT.match(text) and (end := _SENTENCE_END.search(text, 0, limit // 2)):
        text = text[end.end():]
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit + 1)]
    if ends and ends[-1] >= limit // 3:
        return text[:ends[-1]].rstrip()
    return text[:limit].rsplit(" ", 1)[0] + " …"


class Tidier:
    """``tidy`` for a stream: what is shown, joined, is ``tidy`` of the whole. Pieces are held back only while
    the first line may still be copied labels, and after them until the first word."""

    def __init__(self, known: dict[str, int], show: Callable[[str], None],
                 passages: Mapping[int, str] | None = None) -> None:
        self.known, self.show, self.passages = known, show, passages
        self.held: list[str] | None = []  # None once the opening is decided and pieces pass straight through
        self.labelled = False  # the first line is complete and is labels; blank lines after it are held

    def feed(self, piece: str) -> None:
        """One piece of the answer: shown now, or held until the opening is decided."""
        if self.held is None:
            self.show(piece)
            return
        self.held.append(piece)
        if self.labelled:  # only a word after the labels is awaited: look at the new piece alone
            if piece.strip():
                self._release(tidy("".join(self.held), self.known, self.passages))
            return
        text = "".join(self.held)  # the first line, bounded by _MAX_LABELS labels and _MAX_TAIL
        first, newline, rest = text.lstrip().partition("\n")
        if not newline:
            if first and not self._may_be_labels(first):
                self._release(text)
        elif _as_pointer(first, self.known) is None:
            self._release(text)
        elif rest.strip():  # labels, and text after them: the pointer's form is decided
            self._release(tidy(text, self.known, self.passages))
        else:
            self.labelled = True

    def close(self) -> None:
        """The end of the stream: whatever is still held, tidied."""
        if self.held is not None:
            self._release(tidy("".join(self.held), self.known, self.passages))

    def _may_be_labels(self, first: str) -> bool:
        """Whether ``first``, an unfinished first line, may still become copied labels (with citations after):
        true of every beginning of a line ``_as_pointer`` accepts."""
        found, last, end = _parse(first, self.known)
        if found and any(form.startswith(first[last:]) for form in self.known):
            return True  # the last label may still go on to a deeper section
        rest = first[end:]
        m = _NUMBER.match(rest)
        if m and len(found) < _MAX_LABELS and any(form.startswith(rest[m.end():]) for form in self.known):
            return True  # a label being written
        if not found:
            return _PARTIAL_NUMBER.fullmatch(rest) is not None  # its number being written
        return len(rest) <= _MAX_TAIL and _TAIL_CHARS.issuperset(rest)  # citations, or the next label's number

    def _release(self, text: str) -> None:
        self.held = None
        if text:
            self.show(text)
