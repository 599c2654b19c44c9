"""reStructuredText (a Sphinx project's ``docs/*.rst``) with docutils, the reference parser: rendered to HTML and
read by saferag's HTML reader, so sections become headings with anchors, as on a Sphinx-built page.

docutils knows its own roles and directives only; Sphinx projects use many more (``:func:``, ``.. function::``),
which docutils would drop together with their text. Running Sphinx itself needs the whole project and its
configuration, so the few kinds of Sphinx markup are mapped here, before parsing, onto what docutils renders (the
glue no library provides): an unknown role reads as literal text (``:func:`~shutil.copytree``` as ``copytree``), an
unknown directive with arguments as a definition whose term is its arguments (an API signature, which the HTML reader
takes as a heading, as on Sphinx's pages) over its content, notes such as ``versionadded`` as paragraphs, and build
instructions (``toctree``, ``autofunction``, ``literalinclude``) as nothing. File inclusion and raw output are off:
a document must not read other files.
"""

from __future__ import annotations

import functools
import html
import io
import re
from typing import Any

from saferag.errors import DocumentError
from saferag.ingest.document import Document
from saferag.ingest.formats.common import need
from saferag.ingest.html import html_to_text

_DIRECTIVE = re.compile(r"^[ \t]*\.\.[ \t]+([A-Za-z][\w:+.-]*)[ \t]*::", re.MULTILINE)
_ROLE = re.compile(r"(?<![\w`]):([A-Za-z][\w:+.-]*):`")
#: Sphinx directives that say how to build, not what to read: rendered as nothing (``literalinclude`` would read a
#: file; the ``auto*`` ones import code).
_BUILD = re.compile(r"(?:.*:)?(?:toctree|index|highlight|literalinclude|tabularcolumns|sectionauthor|moduleauthor|"
                    r"codeauthor|currentmodule|module|default-domain|program|auto\w+|only-html|ifconfig|graphviz|"
                    r"inheritance-diagram|doctest-skip|testsetup|testcleanup|cssclass|meta|spelling\w*)$")
#: Sphinx directives whose arguments and content are a paragraph of the text, not a definition.
_PARAGRAPH = re.compile(r"(?:.*:)?(?:versionadded|versionchanged|versionremoved|deprecated|seealso|centered|only|"
                        r"hlist|glossary|productionlist|tab|tabs|group-tab|code-tab|card|dropdown|audit-event|availability|"
                        r"impl-detail)$")
_TARGET = re.compile(r"^(.*?)\s*<[^<>]*>$", re.DOTALL)  # "title <target>" in a cross-reference role
_SETTINGS = {"file_insertion_enabled": False, "raw_enabled": False, "report_level": 5, "halt_level": 5,
             "_disable_config": True, "embed_stylesheet": False, "stylesheet_path": "", "syntax_highlight": "none",
             "math_output": "html", "traceback": True, "input_encoding": "unicode", "output_encoding": "unicode"}


def read_rst(data: bytes, source: str, max_bytes: int = 0) -> Document:
    """The text, title and section headings (with anchors) of a reStructuredText file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"invalid UTF-8 at byte {exc.start}") from None
    need("docutils", ".rst")
    from docutils.core import publish_parts

    _register_unknown(text)
    try:
        parts = publish_parts(source=text, source_path=source, writer_name="html5",
                              settings_overrides={**_SETTINGS, "warning_stream": io.StringIO()})
    except Exception as exc:  # docutils raises many types on markup it cannot parse (halt_level is never reached)
        raise DocumentError(f"malformed reStructuredText: {exc}") from None
    page = html_to_text(parts["whole"], main_content=False)  # rendered here: no boilerplate to filter out
    if not page.text.strip():
        raise DocumentError("no text in document")
    title = html.unescape(re.sub(r"<[^>]+>", "", parts.get("title") or "")).strip() or page.title
    return Document(source, "rst", page.text, title, headings=page.headings)


def _register_unknown(text: str) -> None:
    """Give every role and directive ``text`` uses that docutils does not know a reading (see the module's
    docstring). The registry is the process's; the parse worker's, where this runs."""
    from docutils.parsers.rst import directives, roles
    from docutils.parsers.rst.languages import en

    for name in set(_DIRECTIVE.findall(text)):
        key = name.lower()
        if key not in en.directives and key not in directives._directives:
            kind = "skip" if _BUILD.match(key) else "paragraph" if _PARAGRAPH.match(key) else "definition"
            directives.register_directive(key, _directive_classes()[kind])
    for name in set(_ROLE.findall(text)):
        key = name.lower()
        if key not in en.roles and key not in roles._roles:
            roles.register_local_role(key, _literal_role)


def _literal_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None,
                  content: Any = None) -> tuple[list[Any], list[Any]]:
    """A Sphinx cross-reference as the words it shows: ``Title <target>`` as "Title", ``~a.b.c`` as "c"."""
    from docutils import nodes, utils

    shown = utils.unescape(text)
    if m := _TARGET.match(shown):
        shown = m.group(1) or shown
    if shown.startswith("~"):
        shown = shown[1:].rsplit(".", 1)[-1]
    return [nodes.literal(rawtext, shown.lstrip("!"))], []


@functools.cache
def _directive_classes() -> dict[str, Any]:
    """The three readings of an unknown directive, as docutils directive classes (built on first use, so that
    importing this module does not import docutils)."""
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives

    class AnyOption(dict[str, Any]):
        """Every option accepted as given (``:noindex:``, ``:type: int``): Sphinx's options are not docutils'."""

        def __missing__(self, key: str) -> Any:
            return directives.unchanged

    class Base(Directive):  # type: ignore[misc]
        optional_arguments = 1
        final_argument_whitespace = True
        has_content = True
        option_spec = AnyOption(name=directives.unchanged)  # not empty: docutils reads options only then

        def body(self) -> list[Any]:
            holder = nodes.container()
            if self.content:
                self.state.nested_parse(self.content, self.content_offset, holder)
            return list(holder.children)

    class Skip(Base):
        def run(self) -> list[Any]:
            return []

    class Paragraph(Base):
        def run(self) -> list[Any]:
            lead = " ".join(self.arguments).strip()  # "3.20 Arguments may use :manual:`...`": inline markup
            inline, _ = self.state.inline_text(lead, self.lineno) if lead else ([], [])
            return ([nodes.paragraph(lead, "", *inline)] if inline else []) + self.body()

    class Definition(Base):
        def run(self) -> list[Any]:
            term_text = " ".join(self.arguments).strip()
            if not term_text:
                return self.body()
            term = nodes.term(term_text, term_text)
            # an anchor like Sphinx's, from the name before any argument list ("copytree(src, dst)")
            term["ids"].append(nodes.make_id(re.split(r"[\s(\[=]", term_text, maxsplit=1)[0]))
            item = nodes.definition_list_item("", term, nodes.definition("", *self.body()))
            return [nodes.definition_list("", item, classes=[self.name.replace(":", "-")])]

    return {"skip": Skip, "paragraph": Paragraph, "definition": Definition}
