"""MDX (.mdx): Markdown with JSX, in which Docusaurus, Astro Starlight and Nextra sites write their documentation.

Read as Markdown once the parts that are JavaScript rather than prose are out: the ES module blocks (a paragraph
that opens with ``import`` or ``export`` at the top level, to the next blank line, as MDX itself reads them) and
``{/* comments */}``. Components such as ``<Tabs>`` or ``<FileTree>`` stay: the text inside them is the page's. Written
by hand: the MDX compiler is JavaScript, and no Python library parses MDX.
"""

from __future__ import annotations

import re

from saferag.ingest.headings import next_fence, outside_code

_ESM = re.compile(r"^(import|export)[\s{*]")
_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.DOTALL)


def to_markdown(text: str) -> str:
    """The MDX ``text`` as Markdown: its ES module blocks and JSX comments left out, code blocks kept as they are."""
    out: list[str] = []
    fence = ""
    in_esm = False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if in_esm:
            in_esm = bool(body.strip())
            if in_esm:
                continue
        if (after := next_fence(fence, body)) is not None:
            fence = after
        elif not fence and _ESM.match(body):
            in_esm = True
            continue
        out.append(line)
    return outside_code("".join(out), lambda run: _COMMENT.sub("", run))
