"""Any OpenAI-compatible chat server: `vllm serve`, llama.cpp's server, Ollama's `/v1`, …

Uses the official ``openai`` client, which brings timeouts and bounded retries on connection
errors. Errors become ``GeneratorError`` messages that say which server and what to do.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from contextlib import contextmanager

from saferag.config import LLMSettings
from saferag.errors import GeneratorError
from saferag.llm import Message, SamplingParams, estimate_tokens, generate_concurrently, sampling_from

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"  # where `vllm serve` listens by default


class OpenAIGenerator:
    """Chat completions from an OpenAI-compatible server at ``base_url`` (ending in ``/v1``)."""

    def __init__(self, base_url: str = "", *, model: str = "", api_key: str = "",
                 timeout: float = 120.0, max_retries: int = 2, context_window: int = 4096,
                 defaults: SamplingParams | None = None, env: str = "SAFERAG_LLM_") -> None:
        self.env = env  # the settings' prefix, named in errors (SAFERAG_GUARD_ for a Llama Guard's model)
        from openai import OpenAI

        base_url = base_url or DEFAULT_BASE_URL
        self.base_url, self.model, self.timeout = base_url, model or "default", timeout
        self.name = f"{self.model} at {base_url}"
        self.context_window = context_window
        self.defaults = defaults or SamplingParams()
        # Local servers take any key; the client insists on one.
        self._client = OpenAI(base_url=base_url, api_key=api_key or "saferag", timeout=timeout,
                              max_retries=max_retries)

    @classmethod
    def from_settings(cls, llm: LLMSettings) -> OpenAIGenerator:
        return cls(llm.base_url, model=llm.model, api_key=llm.api_key, timeout=llm.timeout,
                   max_retries=llm.max_retries, context_window=llm.context_window, defaults=sampling_from(llm),
                   env=llm.env)

    def generate(self, messages: Sequence[Message], params: SamplingParams | None = None) -> str:
        with self._errors():
            # the openai client types messages as its own TypedDicts
            out = self._client.chat.completions.create(messages=list(messages),  # type: ignore[arg-type]
                                                       **self._kwargs(params))
        return out.choices[0].message.content or ""

    def stream(self, messages: Sequence[Message], params: SamplingParams | None = None) -> Iterator[str]:
        with self._errors():
            chunks: Any = self._client.chat.completions.create(messages=list(messages),  # type: ignore[arg-type]
                                                               stream=True, **self._kwargs(params))
            for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content

    def complete(self, prompt: str, params: SamplingParams | None = None) -> str:
        """``/v1/completions``: the prompt goes to the model as is (vLLM and llama.cpp serve it)."""
        with self._errors():
            out = self._client.completions.create(prompt=prompt, **self._kwargs(params))
        return out.choices[0].text or ""

    def generate_many(self, prompts: Sequence[Sequence[Message]], params: SamplingParams | None = None) -> list[str]:
        """All at once: the server batches concurrent requests (vLLM, llama.cpp with parallel slots)."""
        return generate_concurrently(self, prompts, params, max_workers=32)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """An estimate: the protocol has no tokenizer."""
        return estimate_tokens(messages)

    def _kwargs(self, params: SamplingParams | None) -> dict:
        p = params or self.defaults
        kwargs = {"model": self.model, "temperature": p.temperature, "top_p": p.top_p, "max_tokens": p.max_tokens}
        if p.seed is not None:
            kwargs["seed"] = p.seed
        return kwargs

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn the client's exceptions into GeneratorErrors a user can act on."""
        import openai

        try:
            yield
        except openai.APITimeoutError:
            raise GeneratorError(f"the LLM server at {self.base_url} did not answer within {self.timeout:g}s "
                                 f"({self.env}TIMEOUT)") from None
        except openai.APIConnectionError:
            raise GeneratorError(f"cannot reach the LLM server at {self.base_url}: is it running? "
                                 f"({self.env}BASE_URL)") from None
        except openai.NotFoundError:
            raise GeneratorError(f"model {self.model!r} not found at {self.base_url} ({self.env}MODEL)") from None
        except openai.BadRequestError as exc:
            if "context" in str(exc).lower():
                raise GeneratorError(f"the prompt exceeds the context window of {self.model!r}; lower -k or "
                                     f"set {self.env}CONTEXT_WINDOW to the server's limit") from None
            raise GeneratorError(f"the LLM server at {self.base_url} refused the request: {exc}") from None
        except openai.OpenAIError as exc:
            raise GeneratorError(f"the LLM server at {self.base_url} failed: {exc}") from None
