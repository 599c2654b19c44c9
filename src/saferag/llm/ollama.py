"""Ollama's native API (``/api/chat``), through the official ``ollama`` client, streaming.

Ollama truncates a prompt longer than its ``num_ctx`` silently (keeping the end), which would
drop the grounding instructions without a word; so every request sets ``num_ctx`` to the
context window saferag budgets its prompt for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from saferag.config import LLMSettings
from saferag.errors import GeneratorError
from saferag.llm import Message, SamplingParams, estimate_tokens, generate_concurrently, sampling_from

DEFAULT_HOST = "http://127.0.0.1:11434"


class OllamaGenerator:
    """Chat with a model an Ollama server has pulled, e.g. ``llama3.2:1b``."""

    def __init__(self, model: str = "llama3.2:1b", *, host: str = "", timeout: float = 120.0,
                 context_window: int = 4096, keep_alive: str | None = None,
                 defaults: SamplingParams | None = None, env: str = "SAFERAG_LLM_") -> None:
        self.env = env  # the settings' prefix, named in errors (SAFERAG_GUARD_ for a Llama Guard's model)
        try:
            import ollama
        except ImportError:  # pragma: no cover - a dependency of saferag
            raise GeneratorError("the ollama backend needs the ollama client: pip install ollama") from None
        self.host, self.model, self.timeout = host or DEFAULT_HOST, model or "llama3.2:1b", timeout
        self.name = f"{self.model} on Ollama at {self.host}"
        self.context_window = context_window
        self.keep_alive = keep_alive
        self.defaults = defaults or SamplingParams()
        self._client = ollama.Client(host=self.host, timeout=timeout)

    @classmethod
    def from_settings(cls, llm: LLMSettings) -> OllamaGenerator:
        return cls(llm.model, host=llm.base_url, timeout=llm.timeout, context_window=llm.context_window,
                   defaults=sampling_from(llm), env=llm.env)

    def generate(self, messages: Sequence[Message], params: SamplingParams | None = None) -> str:
        with self._errors():
            out = self._client.chat(model=self.model, messages=list(messages), stream=False,
                                    options=self._options(params), keep_alive=self.keep_alive)
        return out.message.content or ""

    def stream(self, messages: Sequence[Message], params: SamplingParams | None = None) -> Iterator[str]:
        with self._errors():
            for part in self._client.chat(model=self.model, messages=list(messages), stream=True,
                                          options=self._options(params), keep_alive=self.keep_alive):
                if part.message.content:
                    yield part.message.content

    def complete(self, prompt: str, params: SamplingParams | None = None) -> str:
        """``/api/generate`` with ``raw``: Ollama applies no template to the prompt."""
        with self._errors():
            out = self._client.generate(model=self.model, prompt=prompt, raw=True, stream=False,
                                        options=self._options(params), keep_alive=self.keep_alive)
        return out.response or ""

    def generate_many(self, prompts: Sequence[Sequence[Message]], params: SamplingParams | None = None) -> list[str]:
        """All at once: Ollama batches concurrent requests up to its ``OLLAMA_NUM_PARALLEL``."""
        return generate_concurrently(self, prompts, params, max_workers=16)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """An estimate: the API has no tokenizer."""
        return estimate_tokens(messages)

    def _options(self, params: SamplingParams | None) -> dict:
        p = params or self.defaults
        options = {"temperature": p.temperature, "top_p": p.top_p, "num_predict": p.max_tokens,
                   "repeat_penalty": p.repeat_penalty, "num_ctx": self.context_window}
        if p.seed is not None:
            options["seed"] = p.seed
        return options

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn the client's exceptions into GeneratorErrors a user can act on."""
        import httpx
        import ollama

        try:
            yield
        except ollama.ResponseError as exc:
            if exc.status_code == 404 or "not found" in exc.error.lower():
                raise GeneratorError(f"model {self.model!r} not found on Ollama at {self.host}: run "
                                     f"`ollama pull {self.model}` ({self.env}MODEL)") from None
            raise GeneratorError(f"Ollama at {self.host} failed: {exc.error}") from None
        except (ConnectionError, httpx.ConnectError):
            raise GeneratorError(f"cannot reach Ollama at {self.host}: is `ollama serve` running? "
                                 f"({self.env}BASE_URL)") from None
        except httpx.TimeoutException:
            raise GeneratorError(f"Ollama at {self.host} did not answer within {self.timeout:g}s "
                                 f"({self.env}TIMEOUT)") from None
        except httpx.HTTPError as exc:
            raise GeneratorError(f"Ollama at {self.host} failed: {exc}") from None
