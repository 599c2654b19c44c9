"""HTML → clean main text with Resiliparse, and the page's headings with their offsets in that text.

Chosen by measurement (``benchmarks/html_extractors.py``, results in docs/benchmarks.md): on
Python's library reference its main-content mode scored F1 0.915 against the article text
(trafilatura 0.931) at 3.3 ms a page (trafilatura 38 ms), and it is built for malformed web
pages. Navigation, scripts, styles, headers and footers are dropped.

Headings are found in the DOM and located in the extracted text by a marker put into each heading before
extraction: a private-use character pair that no page contains, removed afterwards. Searching the text for a
heading's words instead would land on the first sentence that repeats them; the marker lands where the
heading is, and drops out with it when the main-content filter removes a sidebar's headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree, NodeType

from saferag.ingest.headings import Heading, clean_heading

_WS = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")
_MARK = re.compile("\ue000(\\d+)\ue001")
#: h1–h6; ``h`` is SQLite's hidden per-entry heading (``<h _id=pragma_x style="display:none">``); ``dt`` are
#: definition terms (Sphinx API signatures, DocBook parameters and settings).
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "h", "dt"})
#: Headings that title a box or a menu, not a section ("Note", "Table of Contents").
_NOT_SECTIONS = (".note, .tip, .warning, .caution, .important, .admonition, .toc, .sidebar, .sphinxsidebar, "
                 ".related, nav, header, footer, aside")


#: Text only: no alternative texts, link targets, form fields or noscript content.
_TEXT_ONLY: dict[str, Any] = {"alt_texts": False, "links": False, "form_fields": False, "noscript": False}


@dataclass(frozen=True)
class HtmlText:
    text: str
    title: str
    headings: list[Heading] = field(default_factory=list)


def html_to_text(html: str, *, main_content: bool = True) -> HtmlText:
    """Main text, title and headings of an HTML page; empty text when the page holds none. ``main_content=False``
    keeps every element but scripts and styles: for HTML saferag rendered itself, which has no boilerplate for the
    main-content filter to take out (it took out notes and whole lists of settings from rendered RST)."""
    tree = HTMLTree.parse(html)
    found = _mark_headings(tree)
    if not main_content:
        text = extract_plain_text(tree, main_content=False, comments=False, skip_elements=["script", "style"],
                                  **_TEXT_ONLY)
    else:
        text = extract_plain_text(tree, main_content=True, comments=False, **_TEXT_ONLY)
        if not _MARK.sub("", text).strip():
            # Pages too short for the main-content heuristics (a single paragraph): keep everything
            # but navigation, scripts and styles rather than lose the document.
            text = extract_plain_text(tree, main_content=False,
                                      skip_elements=["nav", "header", "footer", "aside", "script", "style"],
                                      **_TEXT_ONLY)
    text = _BLANKS.sub("\n\n", _WS.sub(" ", text)).strip()
    text, headings = _unmark(text, found)
    return HtmlText(text=text, title=(tree.title or "").strip(), headings=headings)


def _mark_headings(tree: HTMLTree) -> list[tuple[int, str, str]]:
    """Put a marker into each section heading; return (level, text, anchor) per marker number."""
    found: list[tuple[int, str, str]] = []
    if tree.body is None:
        return found
    for el in _elements(tree.body, _HEADINGS):
        if el.tag == "dt" and "field-" in (el.getattr("class") or ""):
            continue  # Sphinx field lists ("Parameters:", "Returns:") are not sections
        if el.closest(_NOT_SECTIONS) is not None:
            continue
        text = clean_heading(el.text)
        if not text:
            continue
        marker = tree.create_text_node(f"\ue000{len(found)}\ue001")
        hidden = "display:none" in (el.getattr("style") or "").replace(" ", "") or el.hasattr("hidden")
        if hidden:  # its text is not extracted; mark where it stands so the section still starts there
            el.parent.insert_before(marker, el)
        elif el.first_child is not None:
            el.insert_before(marker, el.first_child)
        else:
            el.append_child(marker)
        found.append((_level(el), text, _anchor(el)))
    return found


def _elements(root, tags: frozenset[str]) -> list:
    """The elements under ``root`` with one of ``tags``, in document order.

    A walk of our own: Resiliparse's ``query_selector_all`` and ``get_elements_by_tag_name`` collections take
    time quadratic in their length (80 s for the 3,477 definition terms of SQLite's requirements page); the
    walk takes 0.3 s there and a few milliseconds on an ordinary page.
    """
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        if node.tag in tags:
            found.append(node)
        child = node.last_child
        while child is not None:  # pushed last-first, so the first child is visited next
            if child.type == NodeType.ELEMENT:
                stack.append(child)
            child = child.prev
    return found


def _level(el) -> int:
    if el.tag == "dt":  # below every heading; a definition nested in another's description one deeper
        depth, node = 0, el.parent
        while node is not None and node.tag != "body":
            depth += node.tag == "dl"
            node = node.parent
        return 6 + max(depth, 1)
    return 6 if el.tag == "h" else int(el.tag[1])


def _anchor(el) -> str:
    """The fragment that links to a heading: its own id, a named anchor just before it (SQLite), an anchor
    inside it, or the id of the section it opens (Sphinx ``<section id>``, DocBook ``<div class=sect1 id>``)."""
    own = el.getattr("id") or el.getattr("_id")
    if own:
        return own
    prev = el.previous_element_sibling
    if prev is not None and prev.tag == "a" and not prev.getattr("href"):
        if name := prev.getattr("name") or prev.getattr("id"):
            return name
    if el.tag != "dt":
        node = el
        for _ in range(4):  # a heading opens the section it is the first element with text of
            parent = node.parent
            if parent is None or parent.tag == "body" or not _opens(node):
                break
            if parent.getattr("id"):
                return parent.getattr("id")
            node = parent
    inner = el.query_selector("a[id]:not([href]), a[name]:not([href])")
    return (inner.getattr("id") or inner.getattr("name") or "") if inner is not None else ""


def _opens(node, look_back: int = 3) -> bool:
    """Whether nothing with text comes before ``node`` in its parent (a few empty link targets may). Looks at
    most ``look_back`` siblings back: a page with thousands of headings in one parent stays linear."""
    prev = node.previous_element_sibling
    for _ in range(look_back):
        if prev is None:
            return True
        if _MARK.sub("", prev.text).strip():
            return False
        prev = prev.previous_element_sibling
    return prev is None


def _unmark(text: str, found: list[tuple[int, str, str]]) -> tuple[str, list[Heading]]:
    """Remove the markers; each becomes a Heading at the offset where it stood."""
    out: list[str] = []
    headings: list[Heading] = []
    pos = removed = 0
    for m in _MARK.finditer(text):
        out.append(text[pos:m.start()])
        level, name, anchor = found[int(m.group(1))]
        headings.append(Heading(m.start() - removed, level, name, anchor))
        removed += m.end() - m.start()
        pos = m.end()
    out.append(text[pos:])
    clean = "".join(out)
    # A marker may have stood alone at the very start or end; offsets past the stripped text clamp to it.
    lead = len(clean) - len(clean.lstrip())
    clean = clean.strip()
    return clean, [Heading(min(max(h.start - lead, 0), len(clean)), h.level, h.text, h.anchor) for h in headings]
