"""Template tags: what a static site generator runs over a Markdown page before it renders it, left out of the text.

Hugo's shortcodes (``{{< new-in 0.123.0 >}}``, ``{{% include "x.md" %}}``) and Jekyll's Liquid (``{% link x.md %}``,
``{{ site.repository }}``) are instructions to the generator, not prose: a reader of the rendered page never sees
them, so neither should the chunks, the passages shown or the model (rule SC1 in ``benchmarks/retrieval_rules.md``).
The literal examples the sites escape keep what the reader sees: Hugo's ``{{</* x */>}}`` reads ``{{< x >}}``, and
Liquid's ``{% raw %}…{% endraw %}`` its content. Outside those, tags go only outside fenced code and inline code, and
Go-template actions (``{{ .Title }}``) stay: Hugo does not run them in content. Written by hand: neither language has
a Python parser that keeps the text around its tags (python-liquid renders a template; it would need the site).
"""

from __future__ import annotations

import re

from saferag.ingest.headings import outside_code

TEMPLATE_TAGS = True  # rule SC1; benchmarks/template_tags_quality.py turns it off for its baseline arm

_KEEP = "\ue000{}\ue001"  # a protected literal's place while the tags around it go (private-use characters)
_KEPT = re.compile("\ue000(\\d+)\ue001")
_GONE = "\ue002"  # where a tag was, until its line is tidied

_HUGO_ESCAPED = re.compile(r"\{\{(<|%)\s*/\*(.{0,2000}?)\*/\s*(?:>|%)\}\}", re.DOTALL)
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)
_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.DOTALL)
_HIGHLIGHT = re.compile(r"^([ \t]*)\{%-?\s*highlight\s+([\w+#.-]+)[^%\n]*?-?%\}[ \t]*$", re.MULTILINE)
_END_HIGHLIGHT = re.compile(r"^([ \t]*)\{%-?\s*endhighlight\s*-?%\}[ \t]*$", re.MULTILINE)
_TAG = re.compile(
    r"(?P<code>(`+)[^`]+?\2)"  # an inline code span: kept as it is
    r"|\{\{<(?P<hugo>.{0,2000}?)>\}\}|\{\{%(?P<hugo_md>.{0,2000}?)%\}\}"  # Hugo shortcodes, opening or closing
    r"|\{%.{0,2000}?%\}"  # Liquid tags
    r"|\{\{-?\s*(?:(?:site|page|include|layout|post|paginator|jekyll)\b[^{}\n]{0,300}?|content\s*)-?\}\}",  # Jekyll's
    re.DOTALL)
_TEXT_ARG = re.compile(r"""\btext\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_GAP = re.compile(r"[ \t]*\ue002[\ue002 \t]*")


def strip(text: str) -> str:
    """``text`` (a Markdown page's body) without its template tags, as its site's reader would see it."""
    if "{{" not in text and "{%" not in text:
        return text
    kept: list[str] = []

    def keep(literal: str) -> str:
        kept.append(literal)
        return _KEEP.format(len(kept) - 1)

    text = _HUGO_ESCAPED.sub(lambda m: keep(f"{{{{{m[1]} {m[2].strip()} {'>' if m[1] == '<' else '%'}}}}}"), text)
    text = _RAW.sub(lambda m: keep(m[1]), text)
    text = _COMMENT.sub(_GONE, text)
    text = _END_HIGHLIGHT.sub(r"\1```", _HIGHLIGHT.sub(r"\1```\2", text))
    text = outside_code(text, lambda run: _TAG.sub(_replace, run))
    lines = [_tidy(line) for line in text.split("\n")]
    text = "\n".join(line for line in lines if line is not None)
    return _KEPT.sub(lambda m: kept[int(m[1])], text)


def _replace(m: re.Match[str]) -> str:
    if m["code"] is not None:
        return m[0]
    args = m["hugo"] if m["hugo"] is not None else m["hugo_md"]
    shown = _TEXT_ARG.search(args) if args is not None else None  # {{< glossary_tooltip text="Pods" … >}}
    return (shown[1] if shown[1] is not None else shown[2]) if shown else _GONE


def _tidy(line: str) -> str | None:
    """A line with its removed tags' places closed up; None for a line they leave empty."""
    if _GONE not in line:
        return line
    if not line.replace(_GONE, "").strip():
        return None
    indent = line[:len(line) - len(line.lstrip())]
    return indent + _GAP.sub(_space, line[len(indent):]).strip(" \t")


def _space(m: re.Match[str]) -> str:
    before, after = m.string[:m.start()], m.string[m.end():]
    return "" if not before or not after or before[-1] in "([{" or after[0] in ".,;:!?)]}" else " "
