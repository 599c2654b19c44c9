"""The Screener's policy with the real embedded guard: loading is not counted as the check's time."""

from __future__ import annotations

import time

from saferag.guard.embedded import EmbeddingGuard
from saferag.guard.screen import Screener


def test_a_slow_guard_load_does_not_eat_the_first_checks_deadline():
    guard = EmbeddingGuard()
    guard.check([{"role": "user", "content": "warm up"}])

    def slow_load():
        time.sleep(1.5)  # e.g. a Llama Guard GGUF being read from disk
        return guard

    screener = Screener(slow_load, name="embedded", timeout=1.0)
    verdict = screener.check("How do I enable write-ahead logging in SQLite?")
    assert verdict.safe and not verdict.error and verdict.latency < 1.0
    screener.close()


def test_a_guard_that_cannot_load_refuses():
    from saferag.errors import GuardError

    def broken():
        raise GuardError("Llama Guard GGUF not found")

    verdict = Screener(broken, name="llama_guard", timeout=1.0).check("hello")
    assert not verdict.safe and "not found" in verdict.error
    assert Screener(broken, name="llama_guard", fail_open=True).check("hello").safe


class _Faulty:
    """A guard whose check fails with an arbitrary (non-saferag) exception, as a torch error would."""

    name = "faulty"

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def check(self, messages, role="user"):
        raise self.exc


def test_any_guard_exception_is_a_failed_verdict_closed_by_default():
    for exc in (RuntimeError("CUDA out of memory"), ValueError("no user message to screen"), KeyError("role")):
        verdict = Screener(lambda e=exc: _Faulty(e), name="faulty", timeout=5.0).check("hello")
        assert not verdict.safe and verdict.error and type(exc).__name__ in verdict.error
        opened = Screener(lambda e=exc: _Faulty(e), name="faulty", timeout=5.0, fail_open=True).check("hello")
        assert opened.safe and opened.error


def test_a_guard_whose_loader_raises_anything_refuses():
    def broken():
        raise OSError("disk gone")

    verdict = Screener(broken, name="embedded", timeout=1.0).check("hello")
    assert not verdict.safe and "disk gone" in verdict.error
