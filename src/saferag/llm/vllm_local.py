"""vLLM in process (``vllm.LLM``) on a GPU: the fastest path where one is at hand.

vllm is imported only when this backend is chosen; without vllm or a CUDA GPU the constructor
says which is missing. ``generate_many`` hands every prompt to vLLM in one call, which batches
them on the GPU. vLLM's offline ``LLM`` has no token stream, so ``stream`` yields the whole
answer once; for streaming from vLLM, run ``vllm serve`` and use the ``openai`` backend.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Sequence
from typing import Any

from saferag.config import LLMSettings
from saferag.errors import GeneratorError
from saferag.llm import Message, SamplingParams, sampling_from

#: What a GPU user would start Llama 3.1 8B Instruct with; every one is a setting.
DEFAULT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def missing_requirements() -> list[str]:
    """What this machine lacks for in-process vLLM: ``[]`` where it can run."""
    missing = []
    if importlib.util.find_spec("vllm") is None:
        missing.append("the vllm package (pip install vllm)")
    try:
        import torch

        has_gpu = torch.cuda.is_available()
    except ImportError:  # pragma: no cover - torch comes with sentence-transformers
        has_gpu = False
    if not has_gpu:
        missing.append("a CUDA GPU visible to torch")
    return missing


class VLLMGenerator:
    """A Hugging Face model (name or local folder) run by ``vllm.LLM`` on this machine's GPU."""

    def __init__(self, model: str = "", *, dtype: str = "auto", max_model_len: int | None = 8192,
                 gpu_memory_utilization: float = 0.90, enforce_eager: bool = False, seed: int | None = None,
                 tensor_parallel_size: int = 1, defaults: SamplingParams | None = None) -> None:
        missing = missing_requirements()
        if missing:
            raise GeneratorError("the vllm backend runs only where vllm and a GPU are; this machine lacks "
                                 f"{' and '.join(missing)}. Use SAFERAG_LLM_BACKEND=openai against a "
                                 "`vllm serve` endpoint instead.")
        import vllm

        self.model = model or DEFAULT_MODEL
        self.name = f"{self.model} (vLLM in process)"
        self.defaults = defaults or SamplingParams()
        kwargs: dict[str, Any] = {"dtype": dtype, "gpu_memory_utilization": gpu_memory_utilization,
                  "enforce_eager": enforce_eager, "tensor_parallel_size": tensor_parallel_size}
        if max_model_len:
            kwargs["max_model_len"] = max_model_len
        if seed is not None:
            kwargs["seed"] = seed
        try:
            self._llm = vllm.LLM(model=self.model, **kwargs)
        except Exception as exc:  # vLLM raises many types (OSError, ValueError, RuntimeError, CUDA errors)
            raise GeneratorError(f"vLLM could not load {self.model!r}: {exc}") from None
        self._tokenizer = self._llm.get_tokenizer()
        self.context_window = max_model_len or int(getattr(self._tokenizer, "model_max_length", 8192))

    @classmethod
    def from_settings(cls, llm: LLMSettings) -> VLLMGenerator:
        return cls(llm.model, dtype=llm.vllm_dtype, max_model_len=llm.vllm_max_model_len,
                   gpu_memory_utilization=llm.vllm_gpu_memory_utilization, enforce_eager=llm.vllm_enforce_eager,
                   seed=llm.seed, tensor_parallel_size=llm.vllm_tensor_parallel_size, defaults=sampling_from(llm))

    def generate(self, messages: Sequence[Message], params: SamplingParams | None = None) -> str:
        return self.generate_many([messages], params)[0]

    def stream(self, messages: Sequence[Message], params: SamplingParams | None = None) -> Iterator[str]:
        yield self.generate(messages, params)

    def generate_many(self, prompts: Sequence[Sequence[Message]], params: SamplingParams | None = None) -> list[str]:
        """One vLLM call for all prompts: it schedules them together on the GPU."""
        if not prompts:
            return []
        try:
            outputs = self._llm.chat([list(p) for p in prompts], sampling_params=self._sampling(params),
                                     use_tqdm=False)
        except ValueError as exc:  # e.g. a prompt longer than max_model_len
            raise GeneratorError(f"vLLM refused the prompt: {exc} (lower -k or raise SAFERAG_VLLM_MAX_MODEL_LEN)") \
                from None
        return [o.outputs[0].text for o in outputs]

    def complete(self, prompt: str, params: SamplingParams | None = None) -> str:
        outputs = self._llm.generate([prompt], sampling_params=self._sampling(params), use_tqdm=False)
        return outputs[0].outputs[0].text

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Exact: the model's own chat template and tokenizer."""
        return len(self._tokenizer.apply_chat_template(list(messages), tokenize=True, add_generation_prompt=True))

    def _sampling(self, params: SamplingParams | None):
        import vllm

        p = params or self.defaults
        return vllm.SamplingParams(temperature=p.temperature, top_p=p.top_p, max_tokens=p.max_tokens,
                                   repetition_penalty=p.repeat_penalty, seed=p.seed)
