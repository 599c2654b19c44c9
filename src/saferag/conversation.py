"""Conversations: turn a follow-up ("and which argument leaves some files out?") into a standalone search query.

The generator condenses the conversation, as LlamaIndex's ``CondensePlusContextChatEngine`` and RAGFlow's
multi-turn rewrite do. Small models get it wrong in known ways (they answer instead of rewriting, prefix the
rewrite with chatter, refuse, or switch language), so every rewrite is validated, and a rewrite that fails
falls back to the recent user turns joined: retrieval then still sees what the follow-up refers to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from saferag.errors import SafeRagError
from saferag.llm import Generator, Message, SamplingParams
from saferag.retrieval import SearchQuery

#: User turns the fallback joins (the follow-up and the ones before it).
FALLBACK_TURNS = 2
#: Conversation turns (user and assistant) the condensing prompt shows; older ones rarely matter to a follow-up.
CONDENSE_TURNS = 6
#: Characters of an assistant turn shown to the condenser: the gist, not the whole answer.
ANSWER_PREVIEW = 300
#: Weights, beside the follow-up's own 1, of the user turn before it and of the last answer's gist in a follow-up's
#: query vector. Chosen on the SQLite conversations alone, judged on PostgreSQL and git by a rule written before
#: (benchmarks/conversation_rules.md): follow-up hit@5 0.575 / 0.711 / 0.500 -> 0.700 / 0.733 / 0.542.
PREVIOUS_WEIGHT = 0.5
ANSWER_WEIGHT = 0.5

CONDENSE_SYSTEM = (
    "You rewrite the user's last message as one standalone search question. Resolve words like \"it\", \"that\" "
    "and \"the other one\" using the conversation. Keep the user's language and meaning. Do not answer the "
    "question. Reply with the rewritten question only."
)
#: One worked example: small models copy the form of an example far more reliably than they follow a rule.
CONDENSE_EXAMPLE = (
    "Conversation:\nUser: How do I make a backup of my mail folder?\nAssistant: Use the export command [1].\n"
    "Last message: does it keep the attachments?\n"
    "Standalone question: Does the mail folder export keep the attachments?"
)
CONDENSE_USER = "Conversation:\n{conversation}\nLast message: {question}\nStandalone question:"
#: Greedy and short: a rewrite is one question.
CONDENSE_PARAMS = SamplingParams(temperature=0.0, top_p=1.0, max_tokens=64, repeat_penalty=1.1, seed=0)

_LEAD_IN = re.compile(r"^\s*(?:standalone question|rewritten question|question|rewrite|user|sure|okay|ok|here(?: is|'s)"
                      r"[^:]*)\s*[:,.!-]\s*", re.IGNORECASE)
_REFUSAL = re.compile(r"\b(?:I'?m sorry|I cannot|I can'?t|I am unable|as an AI|I don'?t have)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Condensed:
    """The last user turn as a standalone query (retrieval's keywords, and screened by the guard), and how it
    was made; ``search_query`` adds the vector."""

    query: str
    method: str  # "first turn" (no history), "condensed" (the generator's rewrite), "fallback" (turns joined)
    rewrite: str = ""  # the generator's raw output, kept when it was rejected
    reason: str = ""  # why a rewrite was rejected


def condense(messages: Sequence[Message], generator: Generator) -> Condensed:
    """The standalone query for the conversation's last user turn; a first turn costs no generator call."""
    question = last_user(messages)
    if len(user_turns(messages)) < 2:
        return Condensed(question, "first turn")
    raw = generator.generate(condense_prompt(messages), CONDENSE_PARAMS)
    rewrite = clean_rewrite(raw)
    reason = check_rewrite(rewrite, messages)
    if reason:
        return Condensed(fallback_query(messages), "fallback", raw, reason)
    return Condensed(rewrite, "condensed", raw)


def follow_up_search(condensed: Condensed, messages: Sequence[Message], mode: str) -> list[str | SearchQuery]:
    """What ``SafeRag.search_all`` searches for the last user turn in a search ``mode``: the blended query
    (``search_query``), or with keywords alone (``bm25``) the turn written three ways, interleaved
    (``keyword_queries``). Measured per mode on four conversation sets in docs/benchmarks.md: in bm25 mode the
    rewrite alone found less on git and Node.js (0.271 / 0.455 against 0.396 / 0.682)."""
    if mode == "bm25":
        return list(keyword_queries(condensed, messages))
    return [search_query(condensed, messages)]


def keyword_queries(condensed: Condensed, messages: Sequence[Message]) -> list[str]:
    """A follow-up written three ways, best first, for searches whose lists are interleaved: the rewrite when it
    passed; the recent user turns joined with the gist of the last answer (the page's own terms, often); and the
    message itself, which carries a change of topic that the turns joined drown. A first turn is one query.
    (Every mode's follow-up search from 2026-12-02 to 2026-12-04; now bm25's.)"""
    if condensed.method == "first turn":
        return [condensed.query]
    queries = [condensed.query] if condensed.method == "condensed" else []
    queries += [" ".join([fallback_query(messages), *(gist(a) for a in assistant_turns(messages)[-1:])]),
                last_user(messages)]
    return list(dict.fromkeys(queries))


def search_query(condensed: Condensed, messages: Sequence[Message]) -> SearchQuery:
    """What retrieval searches for the last user turn. A follow-up's keywords are its rewrite when that passed
    validation, else the recent user turns joined; its vector blends the message itself with the user turn before
    it and the gist of the last answer, which names what the conversation is about (the page's own terms, often)
    while the message keeps its weight, so a change of topic is not drowned as in the turns joined as text.
    Measured against three queries interleaved and the turns joined in docs/benchmarks.md. A first turn is
    searched as it is."""
    if condensed.method == "first turn":
        return SearchQuery(condensed.query)
    text = condensed.query if condensed.method == "condensed" else fallback_query(messages)
    users = user_turns(messages)
    blend = [(last_user(messages), 1.0), *((u, PREVIOUS_WEIGHT) for u in users[-2:-1]),
             *((gist(a), ANSWER_WEIGHT) for a in assistant_turns(messages)[-1:])]
    return SearchQuery(text, tuple(blend))


def user_turns(messages: Sequence[Message]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "user" and m["content"].strip()]


def assistant_turns(messages: Sequence[Message]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "assistant" and m["content"].strip()]


def last_user(messages: Sequence[Message]) -> str:
    """The message being answered: the last user turn."""
    turns = [m for m in messages if m["role"] in ("user", "assistant")]
    if not turns or turns[-1]["role"] != "user" or not turns[-1]["content"].strip():
        raise SafeRagError("a conversation must end with a non-empty user message")
    return turns[-1]["content"]


def condense_prompt(messages: Sequence[Message]) -> list[Message]:
    """Chat messages asking the generator for a standalone version of the last user turn."""
    turns = [m for m in messages if m["role"] in ("user", "assistant")]
    question, history = turns[-1]["content"], turns[:-1][-CONDENSE_TURNS:]
    lines = []
    for m in history:
        text = gist(m["content"]) if m["role"] == "assistant" else " ".join(m["content"].split())
        lines.append(f"{'User' if m['role'] == 'user' else 'Assistant'}: {text}")
    return [{"role": "system", "content": f"{CONDENSE_SYSTEM}\n\nExample:\n{CONDENSE_EXAMPLE}"},
            {"role": "user", "content": CONDENSE_USER.format(conversation="\n".join(lines), question=question)}]


def clean_rewrite(text: str) -> str:
    """The rewrite without quotes, lead-ins ("Standalone question: …") or anything after its first line."""
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    for _ in range(2):
        line = _LEAD_IN.sub("", line).strip()
    return line.strip(" \"'`*")


def check_rewrite(rewrite: str, messages: Sequence[Message]) -> str:
    """Why ``rewrite`` is not a usable standalone query ("" when it is)."""
    question = last_user(messages)
    if len(rewrite) < 3 or not _WORD.search(rewrite):
        return "empty"
    if len(rewrite) > max(300, 4 * len(question)):
        return "too long"
    if _REFUSAL.search(rewrite) and not _REFUSAL.search(question):
        return "a refusal"
    if not _same_script(rewrite, " ".join(user_turns(messages))):
        return "another language"
    # Small models often hand back the last message as it was, or the earlier question it follows: neither
    # resolves the follow-up (measured with Qwen2.5-Coder-0.5B: 4 and 3 of 10 SQLite follow-ups).
    said = [[w.lower() for w in _WORD.findall(turn)] for turn in user_turns(messages)]
    words_of_rewrite = [w.lower() for w in _WORD.findall(rewrite)]
    if said and words_of_rewrite == said[-1]:
        return "unchanged"
    if words_of_rewrite in said[:-1]:
        return "an earlier question"
    context = {w.lower() for m in messages if m["role"] in ("user", "assistant") for w in _WORD.findall(m["content"])}
    words = [w.lower() for w in _WORD.findall(rewrite)]
    if words and sum(w in context for w in words) / len(words) < 0.3:
        return "drifted from the conversation"  # mostly words the user never used: an answer, not a rewrite
    # An answer in the conversation's own words: code, or a statement where the user asked a question (5 of 92
    # accepted rewrites over five conversation sets, e.g. "If you have a typo in your Apache configuration, it will
    # take the site down.").
    if "```" in rewrite or ("?" in question and "?" not in rewrite):
        return "an answer"
    return ""


def fallback_query(messages: Sequence[Message]) -> str:
    """The recent user turns joined, oldest first: what retrieval gets when no rewrite can be trusted."""
    return " ".join(user_turns(messages)[-FALLBACK_TURNS:])


def gist(answer: str) -> str:
    """The gist of an answer: its first ``ANSWER_PREVIEW`` characters, cut at a word, whitespace folded."""
    text = " ".join(answer.split())
    return text if len(text) <= ANSWER_PREVIEW else text[:ANSWER_PREVIEW].rsplit(" ", 1)[0] + " …"


def _same_script(a: str, b: str) -> bool:
    """Whether two texts are mostly in the same alphabet (a crude but dependable language-switch check)."""
    def latin(text: str) -> float:
        letters = [c for c in text if c.isalpha()]
        return sum(c.isascii() or "\u00c0" <= c <= "\u024f" for c in letters) / len(letters) if letters else 1.0

    return abs(latin(a) - latin(b)) < 0.5
