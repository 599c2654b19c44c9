"""Llama Guard 3 on any Generator backend: Meta's prompt, lenient parsing, never a silent "safe".

Two ways to reach the model, because its prompt must be built exactly once:

- ``template``: send the conversation as chat messages and let the server's template build the
  guard prompt (Ollama's ``llama-guard3`` template, vLLM with the Hugging Face chat template);
- ``raw``: build Meta's prompt here and send it as a plain completion with no chat template
  (a Llama Guard GGUF through llama.cpp, or any server's ``/v1/completions``).

A conversation is screened whole, as Meta's prompt and Llama Stack's shield do: the guard judges only its last
user (or agent) turn, in the context of the turns before it, capped to the last turns that fit the guard
model's context window (``guard_context_window``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from saferag.config import GuardSettings
from saferag.errors import GuardError, SafeRagError
from saferag.guard import Category, Role, Verdict, timed, with_exclusions
from saferag.llm import Generator, Message, SamplingParams

#: The category lines as Meta's Llama Guard 3 prompt words them.
PROMPT_CATEGORIES: dict[str, str] = {
    "S1": "Violent Crimes", "S2": "Non-Violent Crimes", "S3": "Sex Crimes", "S4": "Child Exploitation",
    "S5": "Defamation", "S6": "Specialized Advice", "S7": "Privacy", "S8": "Intellectual Property",
    "S9": "Indiscriminate Weapons", "S10": "Hate", "S11": "Self-Harm", "S12": "Sexual Content",
    "S13": "Elections", "S14": "Code Interpreter Abuse",
}

PROMPT = """<|begin_of_text|><|start_header_id|>user<|end_header_id|>

Task: Check if there is unsafe content in '{role}' messages in conversations according our safety policy \
with the below categories.

<BEGIN UNSAFE CONTENT CATEGORIES>
{categories}
<END UNSAFE CONTENT CATEGORIES>

<BEGIN CONVERSATION>

{conversation}

<END CONVERSATION>

Provide your safety assessment for ONLY THE LAST {role} message in the above conversation:
 - First line must read 'safe' or 'unsafe'.
 - If unsafe, a second line must include a comma-separated list of violated categories.<|eot_id|>\
<|start_header_id|>assistant<|end_header_id|>

"""

GREEDY = SamplingParams(temperature=0.0, top_p=1.0, max_tokens=20, repeat_penalty=1.0)


def conversation(messages: Sequence[Message], role: Role) -> list[Message]:
    """The user/assistant turns up to the last message of the screened role (system turns dropped)."""
    turns = [m for m in messages if m["role"] in ("user", "assistant")]
    want = "assistant" if role == "agent" else "user"
    last = max((i for i, m in enumerate(turns) if m["role"] == want), default=None)
    if last is None:
        raise GuardError(f"nothing to screen: no {want} message")
    return turns[: last + 1]


def build_prompt(messages: Sequence[Message], role: Role = "user", *, excluded: Sequence[str] = (),
                 with_s14: bool = True) -> str:
    """Meta's Llama Guard 3 prompt for the conversation, without the excluded categories."""
    codes = [c for c in PROMPT_CATEGORIES if c not in excluded and (with_s14 or c != "S14")]
    turns = "\n\n".join(f"{'User' if m['role'] == 'user' else 'Agent'}: {m['content']}"
                        for m in conversation(messages, role))
    return PROMPT.format(role="Agent" if role == "agent" else "User", conversation=turns,
                         categories="\n".join(f"{c}: {PROMPT_CATEGORIES[c]}." for c in codes))


_FIRST_WORD = re.compile(r"^[\s*_`'\"]*(safe|unsafe)\b", re.IGNORECASE)


def parse_output(text: str) -> Verdict:
    """``safe`` or ``unsafe`` + codes, read leniently (case, whitespace, stray text, markdown).

    Anything else (empty, a refusal, a chat reply) raises GuardError: it is never read as safe.
    """
    match = _FIRST_WORD.match(text or "")
    if not match:
        shown = (text or "").strip()[:120] or "(empty)"
        raise GuardError(f"the guard model's answer is not a Llama Guard verdict: {shown!r}")
    if match.group(1).lower() == "safe":
        return Verdict(safe=True, raw=text)
    codes = dict.fromkeys(c.upper() for c in re.findall(r"\b[Ss](\d{1,2})\b", text[match.end():]))
    return Verdict(safe=False, categories=[Category.of(f"S{int(n)}") for n in codes], raw=text)


class LlamaGuard:
    """Llama Guard 3 (1B or 8B) behind any Generator: llama.cpp GGUF, Ollama, vLLM, `vllm serve`."""

    def __init__(self, generator: Generator, *, prompt_format: str = "template", excluded: Sequence[str] = (),
                 with_s14: bool = True) -> None:
        if prompt_format not in ("template", "raw"):
            raise GuardError(f"unknown Llama Guard prompt format {prompt_format!r}: use template or raw")
        if prompt_format == "raw" and not hasattr(generator, "complete"):
            raise GuardError(f"{generator.name} takes no raw prompts: use the template prompt format")
        self.generator, self.prompt_format, self.excluded = generator, prompt_format, list(excluded)
        self.with_s14 = with_s14
        self.name = f"llama_guard ({generator.name}, {prompt_format} prompt)"
        self._overhead: int | None = None

    @classmethod
    def from_settings(cls, guard: GuardSettings, *, embedder=None) -> LlamaGuard:
        """Llama Guard on the generator of the guard settings (``guard_*`` over the ``llm_*`` settings)."""
        from saferag.llm import load_generator

        fmt = guard.prompt_format
        if fmt == "auto":  # a GGUF in llama.cpp gets Meta's prompt verbatim; servers apply their template
            fmt = "raw" if guard.generator.backend == "llamacpp" else "template"
        return cls(load_generator(guard.generator), prompt_format=fmt, excluded=guard.excluded_categories,
                   with_s14="1b" not in guard.model.lower())

    def fit(self, messages: Sequence[Message], role: Role = "user") -> list[Message]:
        """The conversation up to the screened turn, without its oldest turns if it would not fit the guard
        model's context window beside Meta's prompt (the screened turn itself is always kept)."""
        turns = conversation(messages, role)
        if self._overhead is None:  # Meta's instructions and category list, counted once
            self._overhead = self.generator.count_tokens(
                [{"role": "user", "content": build_prompt([{"role": "user", "content": ""}], "user")}])
        budget = self.generator.context_window - GREEDY.max_tokens - self._overhead
        while len(turns) > 1 and self.generator.count_tokens(turns) > budget:
            turns = turns[1:]
        return turns

    def check(self, messages: Sequence[Message], role: Role = "user") -> Verdict:
        def run() -> Verdict:
            try:
                turns = self.fit(messages, role)
                if self.prompt_format == "raw":
                    prompt = build_prompt(turns, role, excluded=self.excluded, with_s14=self.with_s14)
                    text = self.generator.complete(prompt, GREEDY)
                else:
                    text = self.generator.generate(turns, GREEDY)
            except GuardError:
                raise
            except SafeRagError as exc:
                raise GuardError(f"the guard model could not be asked: {exc}") from None
            return with_exclusions(parse_output(text), self.excluded)

        return timed(self.name, role, run)
