"""Components chosen by name: a registry maps each name to ``"module:Class"``, imported only when chosen, so a
component's dependencies (llama-cpp-python, vllm, torch) load only if it is used. The embedder
(``embed.EMBEDDERS``), the generator (``llm.BACKENDS``) and the guard (``guard.GUARDS``) are all found this way."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from saferag.errors import SafeRagError


def component(registry: Mapping[str, str], name: str, *, what: str, error: type[SafeRagError],
              others: str = "") -> Any:
    """The class ``registry`` names ``name``; ``error`` naming the choices (and ``others``) when there is none."""
    target = registry.get(name)
    if target is None:
        raise error(f"unknown {what} {name!r}: use one of {', '.join(registry)}{others}")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
