"""saferag's policy around any guard: checks run in the background with a deadline, and a guard
that errors or times out refuses (fail closed) unless configured to fail open.

``SafeRag`` and the LlamaIndex integration both screen through a ``Screener``, so the policy
lives in one place.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from saferag.errors import SafeRagError
from saferag.guard import Guard, Role, Verdict
from saferag.llm import Message

log = logging.getLogger("saferag.guard")


class Screener:
    """Screen questions (``user``) and answers (``agent``) with the guard ``load()`` returns.

    ``load`` runs on the first check, so a guard that cannot load is a refusal with a reason,
    not a crash; it returns None when screening is off.
    """

    def __init__(self, load: Callable[[], Guard | None], *, name: str = "", timeout: float = 30.0,
                 fail_open: bool = False, workers: int = 8) -> None:
        self._load, self.name, self.timeout, self.fail_open = load, name, timeout, fail_open
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="saferag-guard")

    @property
    def off(self) -> bool:
        return self.name == "off"

    def check(self, text: str, role: Role = "user", question: str = "") -> Verdict:
        """The verdict on ``text``; never raises: a guard that fails in any way gives a verdict with ``error`` set."""
        return self.start(text, role, question)()

    def start(self, text: str, role: Role = "user", question: str = "") -> Callable[[], Verdict]:
        """Start the check of one question (``user``) or of the answer ``text`` to ``question`` (``agent``)
        in the background; the returned function waits for the verdict (see ``start_messages``)."""
        if role == "agent":
            messages = [{"role": "user", "content": question}, {"role": "assistant", "content": text}]
        else:
            messages = [{"role": "user", "content": text}]
        return self.start_messages(messages, role)

    def start_messages(self, messages: Sequence[Message], role: Role = "user") -> Callable[[], Verdict]:
        """Start the check of a conversation's last user turn (``user``) or last assistant turn (``agent``),
        which the guard judges in the context of the turns before it; the returned function waits.

        The caller waits (``timeout`` counted from the start), never a pool thread, so work can
        overlap the check without one pool thread ever waiting on another.
        """
        if self.off:
            off = Verdict(safe=True, raw="guard off", role=role, guard="off")
            return lambda: off
        messages = list(messages)
        t0 = time.perf_counter()  # reset once the guard is loaded: loading is not the check's time

        def failed(exc: Exception) -> Verdict:
            if isinstance(exc, FutureTimeout):
                reason = f"no verdict within {self.timeout:g}s (SAFERAG_GUARD_TIMEOUT)"
            elif isinstance(exc, SafeRagError):
                reason = str(exc)
            else:  # a fault inside the guard (torch, a malformed message): still a verdict, never a crash
                log.warning("guard %s failed", self.name, exc_info=exc)
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return Verdict(safe=self.fail_open, raw="", latency=time.perf_counter() - t0, role=role,
                           guard=self.name, error=reason)

        try:
            guard = self._load()
            if guard is None:
                off = Verdict(safe=True, raw="guard off", role=role, guard="off")
                return lambda: off
            t0 = time.perf_counter()
            future = self._pool.submit(guard.check, messages, role)
        except Exception as exc:  # the guard could not even be loaded
            verdict = failed(exc)
            return lambda: verdict

        def wait() -> Verdict:
            try:
                return future.result(timeout=max(0.0, self.timeout - (time.perf_counter() - t0)))
            except Exception as exc:  # any guard fault is a failed check: refused unless fail_open
                return failed(exc)

        return wait

    def close(self) -> None:
        self._pool.shutdown(wait=False)


_REFUSAL_OPENINGS = ("I can't help with that: the ", "I can't answer this: the safety check")


def is_refusal(text: str) -> bool:
    """Whether ``text`` is one of saferag's refusals (``refusal_text``), e.g. an earlier turn of a chat."""
    return text.lstrip().startswith(_REFUSAL_OPENINGS)


#: Added to the refusal of a question flagged S11: a person who says they want to end their life should be
#: pointed to help, not only told "no" (safe-messaging practice, as Llama Guard's own guidance and every major
#: assistant do). Teams outside the US set their own line (``self_harm_support``; "" leaves the refusal bare).
SELF_HARM_SUPPORT = (
    "If you are thinking about ending your life or hurting yourself, you do not have to go through this alone. "
    "Please talk to someone now: call your local emergency number if you are in danger, or a crisis line "
    "(in the US, call or text 988; https://findahelpline.com lists free, confidential lines in other countries).")


def refusal_text(verdict: Verdict, *, self_harm_support: str = SELF_HARM_SUPPORT) -> str:
    """What a user is told when ``verdict`` refuses: the categories, or why no check could run; a question read as
    self-harm (S11) gets ``self_harm_support`` too."""
    what = "answer" if verdict.role == "agent" else "question"
    if verdict.error:
        return (f"I can't answer this: the safety check on the {what} could not run ({verdict.error}), and "
                "saferag refuses when it cannot check.")
    names = ", ".join(f"{c.code} {c.name}" for c in verdict.categories) or "unsafe content"
    text = f"I can't help with that: the {what} was flagged as {names}."
    if self_harm_support and verdict.role != "agent" and any(c.code == "S11" for c in verdict.categories):
        text += "\n\n" + self_harm_support
    return text
