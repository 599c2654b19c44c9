"""saferag's policy around any guard: checks run in the background with a deadline, and a guard
that errors or times out refuses (fail closed) unless configured to fail open.

``SafeRag`` and the LlamaIndex integration both screen through a ``Screener``, so the policy
lives in one place.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from saferag.errors import SafeRagError
from saferag.guard import Guard, Role, Verdict


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
        """The verdict on ``text``; never raises for a guard failure (see the class docstring)."""
        return self.start(text, role, question)()

    def start(self, text: str, role: Role = "user", question: str = "") -> Callable[[], Verdict]:
        """Start the check in the background; the returned function waits for the verdict.

        The caller waits (``timeout`` counted from the start), never a pool thread, so work can
        overlap the check without one pool thread ever waiting on another.
        """
        if self.off:
            off = Verdict(safe=True, raw="guard off", role=role, guard="off")
            return lambda: off
        if role == "agent":
            messages = [{"role": "user", "content": question}, {"role": "assistant", "content": text}]
        else:
            messages = [{"role": "user", "content": text}]
        t0 = time.perf_counter()  # reset once the guard is loaded: loading is not the check's time

        def failed(exc: Exception) -> Verdict:
            reason = str(exc) or f"no verdict within {self.timeout:g}s (SAFERAG_GUARD_TIMEOUT)"
            return Verdict(safe=self.fail_open, raw="", latency=time.perf_counter() - t0, role=role,
                           guard=self.name, error=reason)

        try:
            guard = self._load()
            if guard is None:
                off = Verdict(safe=True, raw="guard off", role=role, guard="off")
                return lambda: off
            t0 = time.perf_counter()
            future = self._pool.submit(guard.check, messages, role)
        except SafeRagError as exc:  # the guard could not even be loaded
            verdict = failed(exc)
            return lambda: verdict

        def wait() -> Verdict:
            try:
                return future.result(timeout=max(0.0, self.timeout - (time.perf_counter() - t0)))
            except (SafeRagError, FutureTimeout) as exc:
                return failed(exc)

        return wait

    def close(self) -> None:
        self._pool.shutdown(wait=False)


def refusal_text(verdict: Verdict) -> str:
    """What a user is told when ``verdict`` refuses: the categories, or why no check could run."""
    what = "answer" if verdict.role == "agent" else "question"
    if verdict.error:
        return (f"I can't answer this: the safety check on the {what} could not run ({verdict.error}), and "
                "saferag refuses when it cannot check.")
    names = ", ".join(f"{c.code} {c.name}" for c in verdict.categories) or "unsafe content"
    return f"I can't help with that: the {what} was flagged as {names}."
