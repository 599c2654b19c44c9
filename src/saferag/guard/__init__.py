"""Guards: screen a question (role ``user``) or an answer (role ``agent``) against Llama Guard 3's
hazard taxonomy. A narrow protocol and backends chosen by name from config, as for generators.

A guard that cannot give a verdict raises ``GuardError``; it never answers "safe" by default.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from saferag.errors import ConfigError
from saferag.llm import Message

if TYPE_CHECKING:
    from saferag.config import GuardSettings, Settings

Role = Literal["user", "agent"]

#: Llama Guard 3's hazard categories (the 1B model has no S14).
CATEGORIES: dict[str, str] = {
    "S1": "Violent Crimes", "S2": "Non-Violent Crimes", "S3": "Sex-Related Crimes",
    "S4": "Child Sexual Exploitation", "S5": "Defamation", "S6": "Specialized Advice", "S7": "Privacy",
    "S8": "Intellectual Property", "S9": "Indiscriminate Weapons", "S10": "Hate",
    "S11": "Suicide & Self-Harm", "S12": "Sexual Content", "S13": "Elections", "S14": "Code Interpreter Abuse",
}


@dataclass(frozen=True)
class Category:
    code: str
    name: str

    @classmethod
    def of(cls, code: str) -> Category:
        return cls(code, CATEGORIES.get(code, "Unknown category"))


@dataclass
class Verdict:
    """A guard's answer: safe or not, the categories it named, its raw output, how long it took."""

    safe: bool
    categories: list[Category] = field(default_factory=list)
    raw: str = ""
    latency: float = 0.0
    role: Role = "user"
    guard: str = ""
    excluded: list[Category] = field(default_factory=list)  # flagged, but allowed by config
    error: str = ""  # why the guard could not decide (then ``safe`` follows the fail-open setting)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Verdict:
        """The inverse of ``to_dict`` (e.g. for a verdict carried in an ``Answer``)."""
        cats = {k: [Category(**c) for c in data.get(k, [])] for k in ("categories", "excluded")}
        return cls(**{**data, **cats})

    def describe(self) -> str:
        if self.error:
            return f"guard failed ({self.error}); " + ("answered anyway (fail open)" if self.safe else "refused")
        if self.safe:
            return "safe"
        return "unsafe: " + ", ".join(f"{c.code} {c.name}" for c in self.categories)


class Guard(Protocol):
    """Messages → Verdict. ``role="user"`` screens the last user message, ``"agent"`` the answer."""

    name: str

    def check(self, messages: Sequence[Message], role: Role = "user") -> Verdict: ...


def with_exclusions(verdict: Verdict, excluded: Sequence[str]) -> Verdict:
    """Drop the categories a team allows (e.g. S6); a verdict left with none is safe."""
    if not excluded or verdict.safe:
        return verdict
    keep = [c for c in verdict.categories if c.code not in excluded]
    allowed = [c for c in verdict.categories if c.code in excluded]
    verdict.categories, verdict.excluded = keep, allowed
    verdict.safe = not keep
    return verdict


def timed(guard_name: str, role: Role, check) -> Verdict:
    """Run ``check()`` (returning a Verdict) and stamp it with its latency, role and guard name."""
    t0 = time.perf_counter()
    verdict = check()
    verdict.latency, verdict.role, verdict.guard = time.perf_counter() - t0, role, guard_name
    return verdict


#: Guard name → "module:class". Add a guard here; nothing else names it.
GUARDS: dict[str, str] = {
    "embedded": "saferag.guard.embedded:EmbeddingGuard",
    "llama_guard": "saferag.guard.llama_guard:LlamaGuard",
}


def load_guard(settings: Settings | GuardSettings, *, embedder=None) -> Guard | None:
    """The guard the settings' ``guard`` names, built from their guard group (``Settings.guard_settings``); None
    when it is ``off``."""
    from saferag.config import Settings
    from saferag.registry import component

    guard = settings.guard_settings if isinstance(settings, Settings) else settings
    if guard.kind == "off":
        return None
    cls = component(GUARDS, guard.kind, what="guard", error=ConfigError, others=" or off")
    return cls.from_settings(guard, embedder=embedder)


def last_content(messages: Sequence[Message], role: Role) -> str:
    """The text a guard screens: the last user message, or the last assistant message for ``agent``."""
    want = "assistant" if role == "agent" else "user"
    for m in reversed(messages):
        if m["role"] == want:
            return m["content"]
    raise ValueError(f"no {want} message to screen")
