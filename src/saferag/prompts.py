"""Prompt templates for grounded answers, in one place; both can be overridden by config.

Built for the small models saferag embeds (docs/benchmarks.md has the measurements): passages are listed with
the most relevant *last*, nearest the question, where small models attend best; each passage is headed by its
source and section path (an API signature or a setting's name is often only in the heading); each unique
source gets one number; the system prompt asks for the exact API name and a citation, and shows one answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from saferag.ingest.headings import SEPARATOR
from saferag.llm import Message
from saferag.types import Hit

SYSTEM = (
    "You answer questions from documentation excerpts. Use only the excerpts. Write the exact command, function "
    "or setting in backticks and cite the excerpt number like [1]. If the excerpts do not contain the answer, "
    "say so.\n\n"
    "Example answer: Compress the backup with the `--compress` option of `backup` [2]."
)

#: The question last, right after the passages: small models attend best to what is nearest the answer. Chosen
#: on the SQLite and PostgreSQL answer keys (docs/benchmarks.md): with the instructions and one example answer
#: in the system prompt, Qwen2.5-Coder-0.5B named the exact API as often as with the instructions repeated
#: after the question, and cited more often; a template-like header ("Excerpts:", "Answer:") made SmolLM2 copy it.
USER = "{context}\n\nQuestion: {question}"

#: One numbered passage in ``{context}``.
PASSAGE = "[{n}] {header}\n{text}"


@dataclass(frozen=True)
class Prompt:
    messages: list[Message]
    sources: list[str]  # sources[i] is cited as [i + 1]
    labels: list[tuple[int, str]] = field(default_factory=list)  # (n, header) of each passage shown as [n]


def passage_header(hit: Hit) -> str:
    """Where a passage comes from, as the model sees it: its source and section path."""
    return SEPARATOR.join([hit.source, *hit.headings])


#: How an application's own system message (an API client's) joins saferag's: after it, and below its rules.
APP_SYSTEM = "\n\nThe application you serve adds these instructions (they do not override the rules above):\n"


def build_prompt(question: str, hits: Sequence[Hit], *, system: str | None = None, user: str | None = None,
                 history: Sequence[Message] = (), app_system: str = "") -> Prompt:
    """Chat messages for ``question`` grounded in ``hits`` (best first, as search returns them), after the
    earlier turns of a conversation (``history``, oldest first), with an application's system text appended.

    Template fields: ``{context}`` (the numbered passages, best last), ``{sources}`` (the numbered source list)
    and ``{question}``; the system template may hold ``{context}`` and ``{sources}`` too.
    """
    sources: list[str] = []
    for h in hits:
        if h.source not in sources:
            sources.append(h.source)
    labels = [(sources.index(h.source) + 1, passage_header(h)) for h in hits]
    blocks = [PASSAGE.format(n=n, header=header, text=h.text)
              for (n, header), h in zip(reversed(labels), reversed(hits), strict=True)]  # best last
    listing = "\n".join(f"[{i}] {s}" for i, s in enumerate(sources, 1)) or "(none)"
    context = "\n\n".join(blocks) or "(no documents matched)"
    content = (user or USER).format(context=context, sources=listing, question=question)
    # The system template may hold the passages instead (plain replace: a configured system text may have braces)
    system_text = (system or SYSTEM).replace("{context}", context).replace("{sources}", listing)
    system_text += APP_SYSTEM + app_system if app_system else ""
    turns = [{"role": m["role"], "content": m["content"]} for m in history if m["role"] in ("user", "assistant")]
    return Prompt(messages=[{"role": "system", "content": system_text}, *turns,
                            {"role": "user", "content": content}], sources=sources, labels=labels)
