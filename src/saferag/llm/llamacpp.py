"""The embedded default: a GGUF model run in process by llama-cpp-python, on the CPU.

The chat template comes from the GGUF file itself. One ``Llama`` object is not safe to use from
two threads at once, so calls are serialized with a lock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

from saferag.config import LLMSettings
from saferag.errors import GeneratorError
from saferag.llm import Message, SamplingParams, sampling_from
from saferag.llm.packaged import DEFAULT_MODEL, PACKAGED, packaged_path
from saferag.quantize import cpu_flags

def packaged_model_path(name: str = "") -> Path:
    """The GGUF file of a model that ships with saferag (the default one when ``name`` is empty)."""
    return packaged_path(name or DEFAULT_MODEL)


def default_threads() -> int:
    """Threads for llama.cpp when none are configured: one per physical core this process may run on.

    llama-cpp-python's own default is half the logical CPUs, which assumes two hyperthreads per core; where each
    vCPU is a core (most cloud VMs without SMT) that leaves half the machine idle: on 2 vCPUs, 1 thread decoded
    Qwen2.5-Coder-0.5B at 20 tokens/s, 2 threads at 28 (docs/benchmarks.md).
    """
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    logical, physical = psutil.cpu_count() or usable, psutil.cpu_count(logical=False) or usable
    return max(1, usable // max(1, logical // physical))


#: A CPU feature llama.cpp reports as compiled in (``llama_print_system_info``), and the Linux ``/proc/cpuinfo`` flag
#: the CPU needs for it.
CPU_FEATURES = {"AVX": "avx", "AVX2": "avx2", "F16C": "f16c", "FMA": "fma", "BMI2": "bmi2", "AVX512": "avx512f",
                "AVX512_VBMI": "avx512vbmi", "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16",
                "AMX_INT8": "amx_int8"}


def missing_cpu_features(system_info: str, cpu_flags: set[str]) -> list[str]:
    """The features llama.cpp was compiled for (``"AVX512 = 1 | ..."``) that a CPU with ``cpu_flags`` lacks.

    scripts/install.sh builds llama.cpp for the CPU class it runs on; a virtual environment copied to an older
    CPU would die with SIGILL on its first prompt, so the generator checks first and says what to do instead.
    """
    compiled = {name.strip() for name, _, value in (part.partition("=") for part in system_info.split("|"))
                if value.strip() == "1"}
    return [f for f, flag in CPU_FEATURES.items() if f in compiled and flag not in cpu_flags]


def _check_cpu(llama_cpp: Any) -> None:
    flags = cpu_flags()
    if not flags:
        return  # not Linux: nothing to compare with
    missing = missing_cpu_features(llama_cpp.llama_print_system_info().decode(errors="replace"), flags)
    if missing:
        raise GeneratorError(f"llama-cpp-python was built for CPU features this CPU lacks ({', '.join(missing)}): "
                             "rerun scripts/install.sh on this machine, which builds it for this CPU's class")


class LlamaCppGenerator:
    """A GGUF chat model in process: a file path, or the name of a packaged model (``llm/packaged.py``)."""

    def __init__(self, model_path: str = "", *, context_window: int = 4096, threads: int | None = None,
                 draft_tokens: int = 15, defaults: SamplingParams | None = None, cache: str = "",
                 env: str = "SAFERAG_LLM_") -> None:
        self.env = env  # the settings' prefix, named in errors (SAFERAG_GUARD_ for a Llama Guard's model)
        try:
            import llama_cpp

            from saferag.llm.lookup import DraftingLlama
        except ImportError:
            raise GeneratorError("the llamacpp backend needs llama-cpp-python: see the README's install "
                                 "command") from None
        _check_cpu(llama_cpp)
        packaged = PACKAGED.get(model_path or DEFAULT_MODEL)
        path = packaged_path(packaged.name, cache) if packaged else Path(model_path).expanduser()
        if not path.is_file():
            raise GeneratorError(f"GGUF model not found: {path} (set {env}MODEL to a .gguf file, or to one "
                                 f"of the packaged models: {', '.join(PACKAGED)})")
        self.name = packaged.title if packaged else path.name
        try:
            self._llm = DraftingLlama(model_path=str(path), n_ctx=context_window,
                                      n_threads=threads or default_threads(), draft_tokens=draft_tokens, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise GeneratorError(f"llama.cpp could not load {path}: {exc}") from None
        self.context_window = self._llm.n_ctx()
        self.defaults = defaults or SamplingParams()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, llm: LLMSettings) -> LlamaCppGenerator:
        return cls(llm.model, context_window=llm.context_window, threads=llm.threads, draft_tokens=llm.draft_tokens,
                   defaults=sampling_from(llm),
                   cache=llm.cache_dir, env=llm.env)

    def generate(self, messages: Sequence[Message], params: SamplingParams | None = None) -> str:
        with self._lock, self._errors():
            # llama-cpp-python types messages as its own TypedDicts and the result as a union over ``stream``
            out: Any = self._llm.create_chat_completion(messages=list(messages),  # type: ignore[arg-type]
                                                        **self._kwargs(params))
        return out["choices"][0]["message"]["content"] or ""

    def stream(self, messages: Sequence[Message], params: SamplingParams | None = None) -> Iterator[str]:
        with self._lock, self._errors():
            parts: Any = self._llm.create_chat_completion(messages=list(messages),  # type: ignore[arg-type]
                                                          stream=True, **self._kwargs(params))
            for part in parts:
                piece = part["choices"][0]["delta"].get("content")
                if piece:
                    yield piece

    def complete(self, prompt: str, params: SamplingParams | None = None) -> str:
        # llama.cpp adds the model's BOS token itself; a second one from the text would skew the model.
        prompt = prompt.removeprefix("<|begin_of_text|>")
        with self._lock, self._errors():
            out: Any = self._llm.create_completion(prompt=prompt, **self._kwargs(params))
        return out["choices"][0]["text"] or ""

    def generate_many(self, prompts: Sequence[Sequence[Message]], params: SamplingParams | None = None) -> list[str]:
        """One after another: llama.cpp in process runs one sequence at a time."""
        return [self.generate(p, params) for p in prompts]

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Tokens of the messages' contents plus a few per message for the chat template's markers."""
        with self._lock:
            return sum(len(self._llm.tokenize(m["content"].encode(), add_bos=False)) + 4 for m in messages)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """llama.cpp's "Requested tokens (N) exceed context window of M" as an error a user can act on."""
        try:
            yield
        except ValueError as exc:
            if "context window" in str(exc):
                raise GeneratorError(f"the prompt is too long for the model's context window ({exc}): lower -k "
                                     f"or raise {self.env}CONTEXT_WINDOW") from None
            raise GeneratorError(f"llama.cpp failed: {exc}") from None

    def _kwargs(self, params: SamplingParams | None) -> dict:
        p = params or self.defaults
        kwargs = {"temperature": p.temperature, "top_p": p.top_p, "max_tokens": p.max_tokens,
                  "repeat_penalty": p.repeat_penalty}
        if p.seed is not None:
            kwargs["seed"] = p.seed
        return kwargs

