"""Jupyter notebooks (.ipynb) with nbformat: Markdown cells as Markdown, code cells and their text outputs as fenced
blocks, so the notebook's own headings become the document's and every chunk knows the cell it starts in.

nbformat is Jupyter's own reader: it reads every notebook version (v3's worksheets are upgraded to v4), joins the
split source lines and checks the structure, which a bare ``json.loads`` would leave to us.
"""

from __future__ import annotations

import re
from typing import Any

from saferag.errors import DocumentError
from saferag.ingest.document import Document, Mark
from saferag.ingest.formats.common import need
from saferag.ingest.headings import markdown_headings, open_fence

#: Characters kept of one code cell's outputs: a training log or a printed frame can run to megabytes of text that
#: would crowd the notebook's own words out of the chunks; the start says what the output is.
MAX_OUTPUT = 2000
#: A display's text forms, best first; images and widgets carry no text to search.
_TEXT_FORMS = ("text/markdown", "text/plain", "text/html", "text/latex")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")  # colours and cursor moves in tracebacks and progress bars
_BACKTICKS = re.compile(r"`{3,}")


def read_ipynb(data: bytes, source: str, max_bytes: int) -> Document:
    """One notebook as Markdown text; ``cell`` marks (1-based) say where each cell starts."""
    nbformat = need("nbformat", ".ipynb")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"invalid UTF-8 at byte {exc.start}") from None
    try:
        # Jupyter opens a notebook that breaks the schema in small ways with a warning; so does this, silently.
        nb = nbformat.reads(text, as_version=4, capture_validation_error={})
    except nbformat.reader.NotJSONError:
        raise DocumentError("not a Jupyter notebook: the file is not JSON") from None
    except (nbformat.ValidationError, ValueError, TypeError, AttributeError, KeyError) as exc:
        raise DocumentError(f"not a Jupyter notebook: {_first_line(exc)}") from None
    language = _language(nb.get("metadata") or {})
    parts: list[str] = []
    marks: list[Mark] = []
    offset = 0
    for number, cell in enumerate(nb.get("cells") or [], start=1):
        body = _cell_text(cell, language)
        if not body:
            continue
        marks.append((offset, "cell", number))
        parts.append(body)
        offset += len(body) + 2
    whole = "\n\n".join(parts)
    headings = markdown_headings(whole)
    title = next((h.text for h in headings if h.level == 1), "") or str((nb.get("metadata") or {}).get("title") or "")
    return Document(source, "ipynb", whole, title, marks=marks, headings=headings)


def _cell_text(cell: Any, language: str) -> str:
    """A Markdown or raw cell's text as written; a code cell's source and text outputs as fenced blocks."""
    source = str(cell.get("source") or "").strip()
    kind = cell.get("cell_type")
    if kind in ("markdown", "raw"):
        fence = open_fence(source)  # Jupyter renders each cell alone: a block it leaves open ends with it
        return f"{source}\n{fence}" if fence else source
    if kind != "code":
        return ""
    blocks = [_fenced(source, language)] if source else []
    output = _outputs(cell.get("outputs") or [])
    if output:
        blocks.append(_fenced(output, "output"))
    return "\n\n".join(blocks)


def _outputs(outputs: list[Any]) -> str:
    """The text a code cell printed or displayed, without stderr (warnings, progress bars), at most ``MAX_OUTPUT``."""
    pieces: list[str] = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") != "stderr":
            pieces.append(str(out.get("text") or ""))
        elif kind in ("execute_result", "display_data"):
            data = out.get("data") or {}
            form = next((f for f in _TEXT_FORMS if data.get(f)), None)
            if form is not None:
                pieces.append(_display_text(str(data[form]), form))
        elif kind == "error":
            pieces.append(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
    text = "\n".join(_plain(p) for p in pieces if p.strip()).strip()
    if len(text) > MAX_OUTPUT:
        cut = text.rfind("\n", 0, MAX_OUTPUT)  # at a line's end where one is near
        kept = text[:cut if cut > MAX_OUTPUT // 2 else MAX_OUTPUT].rstrip()
        text = f"{kept}\n… ({len(text):,} characters of output)"
    return text


def _display_text(value: str, form: str) -> str:
    if form == "text/html":
        from saferag.ingest.html import html_to_text

        return html_to_text(value).text
    return value


def _plain(text: str) -> str:
    """Output as the user saw it: no terminal escapes, and of a line redrawn with ``\\r`` only its last state."""
    text = _ANSI.sub("", text).replace("\r\n", "\n")
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n")).strip()


def _fenced(body: str, info: str) -> str:
    """``body`` in a code fence longer than any backtick run inside it, so the block cannot end early."""
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(body)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def _language(metadata: Any) -> str:
    """The kernel's language ("python", "r", "julia"), named on each code block; "" when the notebook does not say."""
    info = metadata.get("language_info") or {}
    spec = metadata.get("kernelspec") or {}
    words = str(info.get("name") or spec.get("language") or "").split()
    return words[0] if words else ""


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
