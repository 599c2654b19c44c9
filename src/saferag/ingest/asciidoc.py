"""AsciiDoc (.adoc, .asciidoc): the markup of Antora sites, Asciidoctor books and many Java projects' manuals.

Turned into the Markdown the Markdown reader reads: section titles (``== Title``) become ``##`` headings and the
document title (``= Title``) the page's title; listing and literal blocks become fenced code; example, sidebar,
quote and open blocks keep their content without their delimiters; tables become one line per row, cells joined by
`` | ``; comments, attribute entries and block attribute lines leave the text; inline macros (``xref:``,
``link:``, a URL with ``[text]``, ``kbd:``, ``btn:``, ``menu:``) read as their text, attribute references as the
value the document sets (a ``:description:`` opens the text, as a Markdown page's front matter description does).
``include::`` is not followed: a document must not read other files, and an included file in the folder is
ingested as its own document. Written by hand: the one Python AsciiDoc processor (AsciiDoc.py) is GPL-licensed and
Asciidoctor is Ruby; this reads the structure retrieval needs, not every rendering rule.
"""

from __future__ import annotations

import re

_TITLE = re.compile(r"^(={1,6}|#{1,6})\s+(\S.*?)\s*(?:\1)?$")
_ATTRIBUTE = re.compile(r"^:(!?[\w-]+!?):(?:\s+(.*))?$")
_BLOCK_ATTRIBUTES = re.compile(r"^(?:\[[^\[\]\s][^\[\]]*\]|\[\]|\[\[[^\]]+\]\])$")  # [source,ruby], [NOTE], [[id]]
_BLOCK_TITLE = re.compile(r"^\.([^.\s].*)$")
_MACRO = re.compile(r"\b(?:xref|link|mailto|footnote|kbd|btn|pass|image|icon|anchor):([^\s\[]*)\[([^\]]*)\]")
_URL = re.compile(r"\b((?:https?|ftp)://[^\s\[<]+)\[([^\]]*)\]")
_MENU = re.compile(r"\bmenu:([^\s\[]+)\[([^\]]*)\]")
_ROLE = re.compile(r"\[[.#][\w.#-]+\]#([^#]+)#")
_CROSS_REFERENCE = re.compile(r"<<([\w:.#/-]+)(?:,\s*([^>]*))?>>")
_UNSET_LINK = re.compile(r"(?<!\\)\{[\w-]+\}[^\s\[]*\[([^\]]+)\]")
_ANCHOR = re.compile(r"\[\[[\w:.-]+(?:,[^\]]*)?\]\]")
_REFERENCE = re.compile(r"(?<!\\)\{([\w-]+)\}")
_CELL_SPEC = re.compile(r"(?:^|\s)(?:\d+\*)?(?:\d*\.?\d*\+)?[<^>]?(?:\.[<^>])?[adehlmsv]?\|")


def to_markdown(text: str) -> str:
    """The AsciiDoc ``text`` as Markdown with its title as a level-1 heading; see the module docstring."""
    attributes: dict[str, str] = {}
    out: list[str] = []
    block: str | None = None  # the delimiter of the code or comment block we are in
    table = False
    description = ""
    language = ""  # of the next listing block
    header = 0  # author and revision lines that may still follow the document title
    for line in text.splitlines():
        stripped = line.rstrip()
        if block is not None:
            if stripped == block:
                if block[0] != "/":
                    out.append("```")
                block = None
            elif block[0] != "/" and not stripped.startswith("include::"):  # a listing's include is not followed
                out.append(line)
            continue
        if len(stripped) >= 4 and len(set(stripped)) == 1 and stripped[0] in "/-.=*_+":
            if stripped[0] in "/-.":  # a comment, listing or literal block, to its closing twin
                block = stripped
                if stripped[0] != "/":
                    out.append(f"```{language}")
            continue  # an example, sidebar, quote or passthrough delimiter: its content is read as it is
        if stripped.startswith("|===") or stripped.startswith(",==="):
            table = not table
            out.append("")
            continue
        if _BLOCK_ATTRIBUTES.match(stripped):  # [source,ruby] or [,ruby] names the next listing's language
            style, *rest = [p.strip() for p in stripped[1:-1].split(",")]
            language = rest[0] if style in ("", "source") and rest and "=" not in rest[0] else ""
            continue
        if stripped.startswith("//") or stripped in ("+", "--", "'''", "<<<"):  # continuations, breaks
            continue
        if stripped.startswith(("include::", "ifdef::", "ifndef::", "endif::", "ifeval::", "toc::")):
            continue
        if m := _ATTRIBUTE.match(stripped):
            name, value = m.group(1).strip("!"), (m.group(2) or "").strip()
            attributes[name] = value
            if name == "description":
                description = value
            continue
        if table:
            cells = [_inline(c.strip(), attributes) for c in _CELL_SPEC.split(line) if c.strip()]
            out.append(" | ".join(cells))
            continue
        if header and stripped and not stripped.startswith(":"):
            header -= 1  # the author and revision lines under the document title: the header's, not the text's
            continue
        header = 0 if not stripped else header
        if m := _TITLE.match(stripped):
            level = len(m.group(1))
            out.append(f"{'#' * level} {_inline(m.group(2), attributes)}")
            header = 2 if level == 1 and not any(line.strip() for line in out[:-1]) else 0
            continue
        if (m := _BLOCK_TITLE.match(stripped)) and not stripped.startswith(". "):
            out.append(_inline(m.group(1), attributes))
            continue
        out.append(_inline(line, attributes))
        language = ""
    if block is not None and block[0] != "/":
        out.append("```")
    body = "\n".join(out)
    if description:
        body = _after_title(body, _inline(description, attributes))
    return re.sub(r"\n{3,}", "\n\n", body).strip()


def _after_title(body: str, description: str) -> str:
    head, sep, rest = body.partition("\n")
    if head.startswith("# "):
        return f"{head}\n\n{description}\n\n{rest.lstrip()}"
    return f"{description}\n\n{body}"


def _inline(text: str, attributes: dict[str, str]) -> str:
    """Inline macros as their text, roles without their markup, known attribute references as their values."""
    text = _REFERENCE.sub(lambda m: attributes.get(m.group(1), m.group(0)), text)
    text = _MENU.sub(lambda m: " > ".join([m.group(1), *[p.strip() for p in m.group(2).split(">") if p.strip()]]),
                     text)
    text = _MACRO.sub(lambda m: m.group(2).rstrip("^") or m.group(1), text)
    text = _URL.sub(lambda m: m.group(2).rstrip("^") or m.group(1), text)
    text = _CROSS_REFERENCE.sub(lambda m: (m.group(2) or m.group(1)).strip(), text)
    text = _UNSET_LINK.sub(lambda m: m.group(1).rstrip("^"), text)  # {url-site}/path[text], the URL set elsewhere
    for curly, plain in (('"`', '"'), ('`"', '"'), ("'`", "'"), ("`'", "'")):  # AsciiDoc's typographic quotes
        text = text.replace(curly, plain)
    return _ANCHOR.sub("", _ROLE.sub(r"\1", text)).replace("\\{", "{")
