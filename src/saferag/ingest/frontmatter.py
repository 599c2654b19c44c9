"""Front matter: the YAML (``---``) or TOML (``+++``) block a static site generator's Markdown page opens with.

It is the page's metadata, not its prose: Hugo, Jekyll, Docusaurus and Astro render its ``title`` as the page's
heading and its ``description`` under it, and use the rest (``weight``, ``aliases``, ``sidebar_position``) to build
the site. ``split`` takes it off the text; the Markdown reader keeps the title and the description (rule FM1 in
``benchmarks/retrieval_rules.md``). Parsed with PyYAML's ``safe_load`` and the standard library's ``tomllib``;
a block that does not parse to a mapping is no front matter, and the text is left as it is.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

_BLOCK = re.compile(r"\A\ufeff?(---|\+\+\+)[ \t]*\r?\n(.*?)\r?\n\1[ \t]*(?:\r?\n|\Z)", re.DOTALL)


@dataclass(frozen=True)
class FrontMatter:
    """What a page's front matter says about it ("" where it says nothing)."""

    title: str = ""
    description: str = ""


def split(text: str) -> tuple[FrontMatter | None, str]:
    """The page's front matter and the text after it; (None, text) when the text opens with none."""
    m = _BLOCK.match(text)
    if not m:
        return None, text
    fields = _parse(m.group(1), m.group(2))
    if fields is None:
        return None, text
    return FrontMatter(_string(fields.get("title")),
                       _string(fields.get("description")) or _string(fields.get("summary"))), text[m.end():]


def _parse(fence: str, body: str) -> dict | None:
    try:
        if fence == "+++":
            return tomllib.loads(body)
        import yaml

        fields = yaml.safe_load(body)
    except (ValueError, tomllib.TOMLDecodeError):
        return None
    except Exception as exc:  # PyYAML's YAMLError: a "---" rule that opens a page of prose, not front matter
        if type(exc).__module__.startswith("yaml"):
            return None
        raise
    return fields if isinstance(fields, dict) else None


def _string(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""
