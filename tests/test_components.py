"""``SafeRag``'s parts: built once, rebuilt only when their own settings group changes, shared with views."""

from __future__ import annotations

import threading
import time

import pytest


from saferag import SafeRag
from saferag.components import Components, Part


def test_a_part_is_rebuilt_only_when_its_own_settings_change(tmp_path):
    # The OpenAI-protocol generator is built without a connection, so no model loads for it.
    rag = SafeRag(milvus_uri=str(tmp_path / "c.db"), llm_backend="openai", llm_base_url="http://127.0.0.1:9/v1",
                  llm_model="m", guard="off")
    embedder, generator, screener = rag.embedder, rag.generator, rag.screener
    rag.settings = rag.settings.model_copy(update={"top_k": 3, "relevance_floor": 0.3})  # nobody's group
    assert rag.embedder is embedder and rag.generator is generator and rag.screener is screener
    rag.settings = rag.settings.model_copy(update={"max_tokens": 64})  # the generator's sampling
    assert rag.generator is not generator and rag.generator.defaults.max_tokens == 64
    assert rag.embedder is embedder and rag.screener is screener
    rag.settings = rag.settings.model_copy(update={"guard_timeout": 2.0})  # the guard's
    assert rag.screener is not screener and rag.screener.timeout == 2.0 and rag.embedder is embedder
    rag.settings = rag.settings.model_copy(update={"query_prefix": "query: "})  # the embedder's
    assert rag.embedder is not embedder and rag.embedder.query_prefix == "query: "
    rag.close()


def test_a_view_shares_the_parts_but_its_own_changes_stay_its_own(tmp_path):
    rag = SafeRag(milvus_uri=str(tmp_path / "c.db"), llm_backend="openai", llm_base_url="http://127.0.0.1:9/v1",
                  llm_model="m", guard="off")
    view = rag.view(tenant="team-a")
    assert view.embedder is rag.embedder and view.generator is rag.generator
    generator = rag.generator
    view.settings = view.settings.model_copy(update={"max_tokens": 99})
    assert view.generator is not generator and rag.generator is generator
    view.close()  # a view closes nothing it shares
    assert rag.generator is generator
    rag.close()


class Slow:
    """A part whose building takes a while and counts how often it was built and closed."""

    built = 0

    def __init__(self) -> None:
        time.sleep(0.2)
        Slow.built += 1
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_a_part_asked_for_at_once_is_built_once_and_closed_with_the_components(tmp_path):
    from saferag.config import load_settings

    parts = {"slow": Part(lambda s: s.max_tokens, lambda s, c: Slow())}
    components, settings = Components(), load_settings()
    got: list[Slow] = []
    threads = [threading.Thread(target=lambda: got.append(components.get("slow", settings, parts)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Slow.built == 1 and len({id(p) for p in got}) == 1
    components.close()
    assert got[0].closed
    assert components.get("slow", settings, parts) is not got[0] and Slow.built == 2  # forgotten: built anew


def test_llama_guard_is_rebuilt_when_the_model_it_runs_on_changes(tmp_path):
    rag = SafeRag(milvus_uri=str(tmp_path / "c.db"), llm_backend="openai", llm_base_url="http://127.0.0.1:9/v1",
                  llm_model="m", guard="llama_guard", guard_model="llama-guard3:1b")
    guard = rag.guard
    rag.settings = rag.settings.model_copy(update={"guard_base_url": "http://127.0.0.1:8/v1"})
    assert rag.guard is not guard
    rag.close()


def test_prepared_parts_are_built_in_the_background_once_and_a_failed_one_fails_where_it_is_used(tmp_path):
    from saferag.config import load_settings
    from saferag.errors import GeneratorError

    Slow.built = 0
    parts = {"slow": Part(lambda s: s.max_tokens, lambda s, c: Slow())}
    components, settings = Components(), load_settings(milvus_uri=str(tmp_path / "c.db"))
    started = time.perf_counter()
    threads = components.prepare(["slow"], settings, parts)
    assert time.perf_counter() - started < 0.15  # returns at once; the part builds meanwhile
    first = components.get("slow", settings, parts)  # waits for the build under way instead of building again
    for thread in threads:
        thread.join()
    assert Slow.built == 1 and components.get("slow", settings, parts) is first

    rag = SafeRag(milvus_uri=str(tmp_path / "c.db"), llm_backend="no-such-backend", guard="off")
    for thread in rag.prepare("generator"):
        thread.join()
    # the error the user would have had without prepare, raised where they use the part
    with pytest.raises(GeneratorError, match="no-such-backend"):
        _ = rag.generator


def test_a_part_that_finishes_loading_after_close_is_closed_too(tmp_path):
    from saferag.config import load_settings

    release, made = threading.Event(), []

    def build(settings, components):
        release.wait(5)
        made.append(Slow())
        return made[-1]

    parts = {"slow": Part(lambda s: s.max_tokens, build)}
    components, settings = Components(), load_settings()
    threads = components.prepare(["slow"], settings, parts)
    components.close()  # `saferag chat` left before the part had loaded
    release.set()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and made[0].closed
    assert components.get("slow", settings, parts) is not made[0]  # not kept either: built anew when asked for
