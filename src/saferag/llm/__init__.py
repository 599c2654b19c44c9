"""Generators: a narrow protocol, and backends chosen by name from config.

The pipeline calls ``load_generator(settings)`` and never imports a backend module itself; a
backend's dependencies (llama-cpp-python, vllm, …) are imported only when it is chosen.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from saferag.errors import GeneratorError

if TYPE_CHECKING:
    from saferag.config import LLMSettings, Settings

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


@dataclass(frozen=True)
class SamplingParams:
    """How to sample; defaults suit grounded answers (low temperature, a mild repeat penalty)."""

    temperature: float = 0.2
    top_p: float = 0.95
    max_tokens: int = 512
    repeat_penalty: float = 1.1
    seed: int | None = None


def sampling_from(settings: Settings | LLMSettings) -> SamplingParams:
    """The sampling defaults the settings (or their LLM group) hold."""
    return SamplingParams(temperature=settings.temperature, top_p=settings.top_p,
                          max_tokens=settings.max_tokens, repeat_penalty=settings.repeat_penalty,
                          seed=settings.seed)


class Generator(Protocol):
    """Chat messages + sampling parameters → text, whole or streamed (``params`` None: the configured sampling)."""

    name: str
    context_window: int  # tokens the model can attend to, prompt and answer together

    def generate(self, messages: Sequence[Message], params: SamplingParams | None = None) -> str: ...

    def stream(self, messages: Sequence[Message], params: SamplingParams | None = None) -> Iterator[str]: ...

    def generate_many(self, prompts: Sequence[Sequence[Message]],
                      params: SamplingParams | None = None) -> list[str]: ...

    def count_tokens(self, messages: Sequence[Message]) -> int: ...

    def complete(self, prompt: str, params: SamplingParams | None = None) -> str:
        """A raw completion, no chat template: for prompts already built (e.g. Llama Guard's)."""
        ...


def generate_concurrently(gen: Generator, prompts: Sequence[Sequence[Message]], params: SamplingParams | None,
                          *, max_workers: int) -> list[str]:
    """``gen.generate`` on every prompt at once, in order: for servers that batch concurrent requests."""
    if not prompts:
        return []
    with ThreadPoolExecutor(max_workers=min(len(prompts), max_workers)) as pool:
        return list(pool.map(lambda m: gen.generate(m, params), prompts))


def estimate_tokens(messages: Sequence[Message]) -> int:
    """About 4 characters a token, plus a few per message for template markers: for APIs with no tokenizer."""
    return sum(len(m["content"]) // 4 + 4 for m in messages)


#: Backend name → "module:class". Add a backend here; nothing else names it.
BACKENDS: dict[str, str] = {
    "llamacpp": "saferag.llm.llamacpp:LlamaCppGenerator",
    "openai": "saferag.llm.openai_compat:OpenAIGenerator",
    "ollama": "saferag.llm.ollama:OllamaGenerator",
    "vllm": "saferag.llm.vllm_local:VLLMGenerator",
}


def load_generator(settings: Settings | LLMSettings) -> Generator:
    """The generator the settings' ``llm_backend`` names, built from their LLM group (``Settings.llm_settings``)."""
    from saferag.config import Settings
    from saferag.registry import component

    llm = settings.llm_settings if isinstance(settings, Settings) else settings
    return component(BACKENDS, llm.backend, what="LLM backend", error=GeneratorError).from_settings(llm)
