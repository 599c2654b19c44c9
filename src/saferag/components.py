"""The parts ``SafeRag`` builds on first use (embedder, generator, guard, screens), each from its settings group.

A part remembers the settings group it was built from; when the engine's settings change, the next use of a part
whose group differs builds it again (switching the guard off and on between asks, say), and every other part is
kept. Parts handed in by the caller (``SafeRag(embedder=...)``) are used as they are and never rebuilt or closed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from saferag.config import Settings

log = logging.getLogger("saferag")


@dataclass(frozen=True)
class Part:
    """How to build one part: the settings it depends on, and the builder (which may use other parts)."""

    depends_on: Callable[[Settings], object]
    build: Callable[[Settings, Components], Any]


def _embedder(s: Settings, parts: Components) -> Any:
    from saferag.embed import load_embedder

    return load_embedder(s)


def _generator(s: Settings, parts: Components) -> Any:
    from saferag.llm import load_generator

    return load_generator(s)


def _guard(s: Settings, parts: Components) -> Any:
    from saferag.guard import load_guard

    return load_guard(s, embedder=parts.get("embedder", s))  # the embedded guard shares the engine's embedder


def _screener(s: Settings, parts: Components) -> Any:
    from saferag.guard.screen import Screener

    g = s.guard_settings
    return Screener(parts.lazy("guard", s), name=g.kind, timeout=g.timeout, fail_open=g.fail_open)


def _injection_screen(s: Settings, parts: Components) -> Any:
    from saferag.guard.injection import InjectionScreen

    return None if s.injection_screen == "off" else InjectionScreen(s.injection_threshold)


def _guard_group(s: Settings) -> object:
    """What the guard (and so the screener) is built from: its own settings, the generator's only for a guard
    that runs on one (Llama Guard), and the embedder's (the embedded guard shares the embedder)."""
    g = s.guard_settings
    if g.kind != "llama_guard":
        g = g.model_copy(update={"generator": None})
    return g, s.embedder_settings


#: Every part and what it is built from; the screener on the guard's group, so that it always screens with
#: the guard of the same settings.
PARTS: dict[str, Part] = {
    "embedder": Part(lambda s: s.embedder_settings, _embedder),
    "generator": Part(lambda s: s.llm_settings, _generator),
    "guard": Part(_guard_group, _guard),
    "screener": Part(_guard_group, _screener),
    "injection_screen": Part(lambda s: (s.injection_screen, s.injection_threshold), _injection_screen),
}


class Components:
    """The built parts of one engine. Thread-safe: a part is built once even when first asked for at once."""

    def __init__(self, given: dict[str, Any] | None = None, *, parent: Components | None = None) -> None:
        self._given = dict(given or {})
        self._parent = parent
        self._built: dict[str, tuple[object, Any]] = {}  # name -> (the settings group it was built from, part)
        # One lock a part, so that threads needing different parts do not wait on each other's builds; the
        # guard's builder takes the embedder's.
        self._locks: dict[str, threading.RLock] = {}
        self._locks_lock = threading.Lock()
        self._closings = 0  # how many times ``close`` ran: a part ``prepare`` finishes after one is closed too

    def get(self, name: str, settings: Settings, parts: dict[str, Part] = PARTS) -> Any:
        """The part ``name`` for these settings, built now if it is missing or its settings group changed."""
        if name in self._given:
            return self._given[name]
        key = parts[name].depends_on(settings)
        if self._parent is not None and name not in self._built:
            theirs = self._parent._built.get(name)
            if theirs is None or theirs[0] == key:  # the same settings as the engine it views: its part
                return self._parent.get(name, settings, parts)
        entry = self._built.get(name)
        if entry is not None and entry[0] == key:
            return entry[1]
        with self._lock(name):
            entry = self._built.get(name)
            if entry is None or entry[0] != key:
                # The part it replaces is dropped, not closed: a view made earlier may still share it.
                entry = (key, parts[name].build(settings, self))
                self._built[name] = entry
            return entry[1]

    def _lock(self, name: str) -> threading.RLock:
        with self._locks_lock:
            return self._locks.setdefault(name, threading.RLock())

    def prepare(self, names: Sequence[str], settings: Settings,
                parts: dict[str, Part] = PARTS) -> list[threading.Thread]:
        """Start building ``names`` in background threads, each once as ``get`` builds it, so that a cold start
        loads them while the caller opens the collection. A build that fails is not kept: the caller's own ``get``
        builds it again and raises its error there. A part that finishes loading after ``close`` is closed then."""
        def build(name: str) -> None:
            closings = self._closings
            try:
                part = self.get(name, settings, parts)
            except Exception as exc:  # surfaces again, in the caller's thread, on first use
                log.debug("preparing %s failed: %s", name, exc)
                return
            if self._closings != closings:  # closed while it loaded (`saferag chat` left at once): close it too,
                with self._locks_lock:     # unless ``close`` found it already
                    mine = self._built.get(name, (None, None))[1] is part
                    if mine:
                        del self._built[name]
                if mine:
                    _close(part)

        threads = [threading.Thread(target=build, args=(name,), name=f"saferag-prepare-{name}", daemon=True)
                   for name in names]
        for thread in threads:
            thread.start()
        return threads

    def lazy(self, name: str, settings: Settings) -> Callable[[], Any]:
        """A function that gets the part when called (for a part that needs another only some of the time)."""
        return lambda: self.get(name, settings)

    def use(self, name: str, part: Any) -> None:
        """Use ``part`` (built by the caller) as ``name`` from now on: never rebuilt, never closed here."""
        if name not in PARTS:
            raise KeyError(f"no part {name!r}: one of {', '.join(PARTS)}")
        self._given[name] = part

    def share(self) -> Components:
        """The components of a view: the parts of this engine, built here when first needed, except those whose
        settings the view changed, which it builds and keeps for itself."""
        return Components(self._given, parent=self)

    def close(self) -> None:
        """Close the parts built here that hold resources (a served embedder's connections) and forget them all."""
        with self._locks_lock:
            built, self._built = self._built, {}
            self._closings += 1
        for _, part in built.values():
            _close(part)


def _close(part: Any) -> None:
    close = getattr(part, "close", None)
    if callable(close):
        close()
