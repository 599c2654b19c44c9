"""Section structure of a document: where each heading starts in its text, and the heading path of a chunk.

A chunk of a long reference page ("… if *dirs_exist_ok* is false …") is found and cited far better when it
knows it sits under "shutil — High-level file operations › Directory and files operations ›
shutil.copytree(src, dst, …)". Headings come from HTML (h1–h6, and definition terms: Sphinx API signatures,
DocBook parameter lists) and Markdown (ATX and setext headings); each keeps the anchor a citation can link to.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

#: Shown between the levels of a heading path.
SEPARATOR = " › "
MAX_HEADING = 160  # characters kept of one heading (an API signature can run long)


@dataclass(frozen=True)
class Heading:
    """A heading at offset ``start`` of the document text; deeper sections have higher ``level``."""

    start: int
    level: int
    text: str
    anchor: str = ""  # the fragment that links to it ("" when the page has none)
    #: A minor heading (a PDF's bold line at the body's size, rule P6) names its section in the chunk's path but is
    #: not a place of its own for the per-source cap; it is always deeper than every heading that is not minor.
    minor: bool = False


def clean_heading(text: str) -> str:
    """One line, no permalink marks (Sphinx's ¶), at most ``MAX_HEADING`` characters."""
    text = " ".join(text.replace("¶", " ").replace("\uf0c1", " ").split()).removesuffix("[source]").rstrip()
    return text if len(text) <= MAX_HEADING else text[:MAX_HEADING - 1].rstrip() + "…"


def path_at(headings: Sequence[Heading], offset: int) -> list[Heading]:
    """The headings in effect at ``offset``: the last of each level above it, outermost first."""
    stack: list[Heading] = []
    for h in headings:
        if h.start > offset:
            break
        while stack and stack[-1].level >= h.level:
            stack.pop()
        stack.append(h)
    return stack


def chunk_headings(headings: Sequence[Heading], start: int, length: int, title: str = "") -> tuple[list[str], str]:
    """Heading path (outermost first) and anchor of the chunk at ``start`` of ``length`` characters."""
    path, anchor = chunk_path(headings, start, length, title)
    return [h.text for h in path], anchor


def chunk_path(headings: Sequence[Heading], start: int, length: int, title: str = "") -> tuple[list[Heading], str]:
    """The headings of the chunk at ``start`` of ``length`` characters (outermost first), and its anchor.

    The path is the one in effect at the chunk's middle, so a chunk that opens with the tail of one section
    and goes on into the next belongs to whichever holds most of it. A heading whose words are a run of the
    title's whole words only repeats it and is left out of the path (the title is embedded and shown already); the
    anchor is the deepest that has one.
    """
    path = path_at(headings, start + length // 2)
    anchor = next((h.anchor for h in reversed(path) if h.anchor), "")
    padded = f" {norm_words(title)} "
    # whole words only: "-i" under "git-add(1)" or "COMMAND" under "add_custom_command" names its own section (T1)
    kept = [h for h in path if not ((words := norm_words(h.text)) and f" {words} " in padded)]
    return kept, anchor


def norm_words(text: str) -> str:
    """``text`` as lower-case words and single spaces, to compare headings and titles whatever their punctuation;
    NFKC first, so a typeset ligature ("ﬁ") matches plain letters. Combining marks stay in their word."""
    text = unicodedata.normalize("NFKC", text).lower()
    # ``re``'s \w has no combining marks, which Devanagari, Thai and Arabic words are full of ("हिन्दी" is one word,
    # not "ह न द"); the stdlib has no \p{M}, so a run of non-word characters keeps its marks. ASCII has none.
    return " ".join(re.sub(r"[^\w]+", " " if text.isascii() else _marks_kept, text).split())


def _marks_kept(run: re.Match[str]) -> str:
    """A run of non-word characters as a space, but the marks that open it, on the word before, kept (not a mark
    after a symbol: an emoji's variation selector is no word)."""
    text, kept = run.group(), 0
    if run.start() > 0:
        while kept < len(text) and unicodedata.category(text[kept]).startswith("M"):
            kept += 1
    return text[:kept] + (" " if kept < len(text) else "")


# -- Markdown -------------------------------------------------------------------------------------

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def markdown_headings(text: str) -> list[Heading]:
    """ATX (``## Title``) and setext (underlined) headings outside fenced code, with GitHub-style anchors."""
    headings: list[Heading] = []
    seen: dict[str, int] = {}
    fence = ""
    offset = 0
    prev: tuple[int, str] | None = None  # (offset, text) of the previous non-blank line, for setext
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if (after := next_fence(fence, body)) is not None:
            fence = after
        elif (atx := _ATX.match(body)) is not None:
            headings.append(_md_heading(offset, len(atx.group(1)), atx.group(2), seen))
            body = ""
        elif prev is not None and (setext := _SETEXT.match(body)) is not None and prev[1].strip():
            if not (setext.group(1)[0] == "-" and _ATX.match(prev[1])):
                headings.append(_md_heading(prev[0], 1 if setext.group(1)[0] == "=" else 2, prev[1], seen))
            body = ""
        prev = (offset, body) if body.strip() and not fence else None
        offset += len(line)
    return headings


def open_fence(text: str) -> str:
    """The code fence (``` or ~~~ run) a Markdown text leaves open at its end, "" when none: a notebook cell's
    unclosed block must not swallow the cells after it."""
    fence = ""
    for line in text.splitlines():
        fence = next_fence(fence, line) or ""
    return fence


def next_fence(fence: str, line: str) -> str | None:
    """The fence open after ``line`` ("" when it closes ``fence``), or None for a line outside any fenced block
    that opens none: the one reading of code fences both functions above share."""
    m = _FENCE.match(line)
    if fence:
        return "" if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) else fence
    return m.group(1) if m else None


def outside_code(text: str, edit: Callable[[str], str]) -> str:
    """``text`` with ``edit`` applied to each run of lines outside fenced code; code blocks kept as they are."""
    parts: list[str] = []
    run: list[str] = []  # lines of the current run outside code
    fence = ""
    for line in text.splitlines(keepends=True):
        after = next_fence(fence, line.rstrip("\r\n"))
        if fence or after:  # a line inside a code block, or the one that opens it
            if run:
                parts.append(edit("".join(run)))
                run = []
            parts.append(line)
        else:
            run.append(line)
        if after is not None:
            fence = after
    parts.append(edit("".join(run)))
    return "".join(parts)


#: A heading's attribute block (Goldmark, kramdown, Pandoc, MkDocs attr_list): ``{#id .class key=value}`` or
#: ``{: #id}`` at its end, naming the anchor the rendered page gives it (rule HA1).
_ATTR = r"""(?:[#.][\w:.-]+|[\w-]+=(?:"[^"]*"|'[^']*'|[^\s}]+))"""
_ATTRS = re.compile(rf"[ \t]*\{{:?[ \t]*({_ATTR}(?:[ \t]+{_ATTR})*)[ \t]*\}}[ \t]*$")
_ID = re.compile(r"(?:^|[ \t])#([\w:.-]+)")


def _md_heading(offset: int, level: int, raw: str, seen: dict[str, int]) -> Heading:
    given = ""  # the anchor an attribute block names
    if (attrs := _ATTRS.search(raw)) is not None and attrs.start() > 0:
        raw = raw[:attrs.start()]
        if (named := _ID.search(attrs.group(1))) is not None:
            given = named.group(1)
    text = clean_heading(inline_text(raw))
    slug = re.sub(r"[^\w\- ]", "", text.lower()).strip().replace(" ", "-")
    n = seen.get(slug, 0)
    seen[slug] = n + 1
    return Heading(offset, level, text, given or (f"{slug}-{n}" if n else slug))


@lru_cache(maxsize=1)
def _commonmark() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


#: HTML's phrasing elements: what a tag inside a Markdown heading is when it is markup. Any other "tag" is a
#: placeholder written in angle brackets (``--output=<file>``), which CommonMark reads as raw HTML.
_INLINE_HTML = frozenset("a abbr b bdi bdo br cite code data del dfn em font i img ins kbd mark q s samp small span "
                         "strong sub sup time u var wbr".split())
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")


def inline_text(raw: str) -> str:
    """Markdown inline content as a reader sees it (rules M1, M1b): code spans keep their text, escapes are undone,
    emphasis markers, HTML markup and link targets dropped, underscores inside words kept (``max_connections``),
    and placeholders in angle brackets kept (``<file>``). markdown-it-py follows CommonMark, which the pattern
    before it did not (it read "maxconnections")."""
    out: list[str] = []
    for token in _commonmark().parseInline(raw)[0].children or []:
        if token.type in ("text", "code_inline", "image"):  # an image's content is its alt text
            out.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif token.type == "html_inline" and (m := _TAG.match(token.content)):
            name = m.group(1).lower()
            out.append(" " if name == "br" else "" if name in _INLINE_HTML else token.content)
    return "".join(out)
