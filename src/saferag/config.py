"""All settings in one place: environment variables ``SAFERAG_*`` over an optional TOML file.

Precedence (highest first): explicit keyword arguments, environment, ``saferag.toml`` in the
working directory (or the file named by ``SAFERAG_CONFIG``), defaults.

``Settings`` is flat, as it is written (``SAFERAG_LLM_MODEL``, ``llm_model = ...``, ``SafeRag(llm_model=...)``);
each component reads its own group as a nested, frozen view: ``embedder_settings`` (``EmbedSettings``),
``llm_settings`` (``LLMSettings``), ``guard_settings`` (``GuardSettings``, with the generator a Llama Guard runs on)
and ``server_settings`` (``ServerSettings``).
"""

from __future__ import annotations

import logging
import os
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from saferag.guard.screen import SELF_HARM_SUPPORT
from saferag.types import TENANT_PATTERN, SearchMode


_RATE = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d*)\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)
_PERIOD = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(spec: str) -> tuple[int, float]:
    """``"60/minute"`` (also ``"10 per 5 seconds"``, ``"1000/hour"``, ``"5000/day"``) as (requests, seconds)."""
    m = _RATE.match(spec or "")
    if not m or int(m.group(1)) < 1:
        raise ValueError(f"rate limit {spec!r} is not N/second, N/minute, N/hour or N/day (e.g. 60/minute)")
    return int(m.group(1)), int(m.group(2) or 1) * _PERIOD[m.group(3).lower()]


def _check_rate(value: str) -> str:
    if value:
        parse_rate(value)
    return value


def _comma_list(value: object) -> object:
    """A list setting given as one string (env): ``"a, b c"`` -> ``["a", "b", "c"]``; anything else as it is."""
    if isinstance(value, str):
        value = [v for v in value.replace(" ", ",").split(",") if v]
    return value


def _hazard_codes(value: object) -> object:
    value = _comma_list(value)
    if isinstance(value, list):
        value = [str(v).strip().upper() for v in value]
        bad = [v for v in value if v not in {f"S{i}" for i in range(1, 15)}]
        if bad:
            raise ValueError(f"unknown hazard codes {bad}: use S1 … S14")
    return value


#: A rate limit (``parse_rate``), '' for none.
Rate = Annotated[str, AfterValidator(_check_rate)]
#: A list of names, comma- or space-separated in env (not JSON).
Names = Annotated[list[str], NoDecode, BeforeValidator(_comma_list)]


class ApiKey(BaseModel):
    """An API key's table form in ``[api_keys]``: its tenant and, optionally, its own rate limit."""

    model_config = ConfigDict(extra="forbid")
    tenant: str
    rate_limit: Rate | None = Field(None, description="overrides the global rate_limit for this key ('' = none)")


class EmbedSettings(BaseModel):
    """What builds the embedder (``embed.load_embedder``)."""

    model_config = ConfigDict(frozen=True)
    backend: str
    model: str
    device: str
    batch_size: int | None
    precision: str
    runtime: str
    query_prefix: str | None
    passage_prefix: str | None
    cache_dir: str
    base_url: str = ""
    api_key: str = ""
    timeout: float = 60.0
    max_retries: int = 3
    concurrency: int = 4
    threads: int | None = None


class LLMSettings(BaseModel):
    """What builds a generator (``llm.load_generator``) and its default sampling."""

    model_config = ConfigDict(frozen=True)
    backend: str
    model: str
    base_url: str
    api_key: str
    timeout: float
    max_retries: int
    context_window: int
    threads: int | None
    draft_tokens: int
    cache_dir: str
    vllm_dtype: str
    vllm_max_model_len: int | None
    vllm_gpu_memory_utilization: float
    vllm_enforce_eager: bool
    vllm_tensor_parallel_size: int
    temperature: float
    top_p: float
    max_tokens: int
    repeat_penalty: float
    seed: int | None
    #: Where these settings come from, for error messages: the ``llm_*`` settings, or the ``guard_*`` ones that
    #: build the model a Llama Guard runs on.
    env: str = "SAFERAG_LLM_"


class GuardSettings(BaseModel):
    """What builds the guard (``guard.load_guard``) and the policy around it; ``generator``: the model a Llama Guard
    runs on (the ``guard_*`` settings over the ``llm_*`` ones, no retries)."""

    model_config = ConfigDict(frozen=True)
    kind: str  # embedded, llama_guard or off
    generator: LLMSettings
    model: str
    prompt_format: str
    timeout: float
    excluded_categories: tuple[str, ...]
    answers: bool
    fail_open: bool
    threshold: float | None
    precision: str = "auto"  # embedded: the compiled question model's (guard.embedded.question_precision)


class ServerSettings(BaseModel):
    """What ``saferag serve`` reads: keys, the collections served, the queue and the request limits."""

    model_config = ConfigDict(frozen=True)
    api_keys: dict[str, str | ApiKey]
    serve_collections: tuple[str, ...]
    max_concurrent_asks: int
    max_queued_asks: int
    request_timeout: float
    max_upload_mb: float
    max_request_kb: float
    rate_limit: str
    rate_limit_db: str


class Settings(BaseSettings):
    """saferag's configuration; every field can be set as ``SAFERAG_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="SAFERAG_", extra="ignore")

    # Store
    milvus_uri: str = Field("./saferag.db", description="Milvus Lite file (*.db) or server URI")
    milvus_token: str = Field("", description="token or user:password for a Milvus server")
    collection: str = "saferag"
    tenant: str = Field("default", pattern=TENANT_PATTERN,
                        description="whose chunks ingest writes and search reads (the server sets it per API key)")

    # Embedder
    embed_backend: str = Field("sentence-transformers", description="embedding backend (embed.EMBEDDERS): "
                               "sentence-transformers (alias local) in process, or openai: a /v1/embeddings server")
    embed_model: str = Field("", description="sentence-transformers name or path ('' = packaged MiniLM), or the "
                                             "served model's name (openai)")
    embed_base_url: str = Field("", description="openai: the embedding server, e.g. http://127.0.0.1:7997 "
                                                "(Infinity) or http://gpu1:8080/v1 (TEI)")
    embed_api_key: str = ""
    embed_timeout: float = Field(60.0, gt=0, description="openai: seconds one embedding request may take")
    embed_max_retries: int = Field(3, ge=0, description="openai: retries with backoff on connection errors, "
                                                        "429 and 5xx")
    embed_concurrency: int = Field(4, ge=1, description="openai: requests in flight at once")
    embed_device: str = "cpu"
    embed_batch_size: int | None = Field(
        None, ge=1, description="None: the measured best: on 2 CPU cores 8 (torch float32) or 16 (torch "
                                "bfloat16); OpenVINO 2 (float32) or 4, several batches at once; 256 on a GPU")
    embed_precision: Literal["auto", "float32", "bfloat16", "float16", "int8"] = Field(
        "auto", description="auto: float16 on a CUDA GPU, bfloat16 where the CPU runs it natively (AMX, "
                            "AVX512-BF16), else float32; float16 only on a GPU; int8: "
                            "OpenVINO quantized by NNCF (saferag[int8]), faster on VNNI CPUs, retrieval moved up to "
                            "0.02 (docs/benchmarks.md)")
    embed_runtime: Literal["auto", "openvino", "torch"] = Field(
        "auto", description="local embedding runtime: auto = OpenVINO on the CPU where installed (several times "
                            "faster), else torch")
    embed_threads: int | None = Field(None, ge=1, description="CPU threads the local embedder runs on (OpenVINO's; "
                                      "torch's are the process's); None = every core, in a Ray actor its CPUs")
    query_prefix: str | None = None
    passage_prefix: str | None = None
    cache_dir: str = Field("", description="derived model files (a joined GGUF, a converted embedder); "
                                           "'' = $XDG_CACHE_HOME/saferag or ~/.cache/saferag")

    # Ingest
    chunk_size: int = Field(512, ge=32)
    chunk_overlap: int = Field(51, ge=0)
    embed_titles: bool = Field(True, description="embed each chunk with its document's title above it")
    ingest_batch_size: int | None = Field(None, ge=1, description="chunks embedded and written per round; None: "
                                                                "64, or the embedder's batch if larger (256 on a GPU)")
    ray_address: str = Field("", description="ingest on Ray: local (a runtime in the process), auto (the one "
                                             "running here) or a cluster address; '' = in process")
    ray_embed_actors: int = Field(0, ge=0, description="Ray: embedding actors (0 = as many as fit beside a "
                                                       "reading task)")
    ray_embed_cpus: float = Field(1.0, gt=0, description="Ray: CPUs each embedding actor holds (its threads)")
    http_timeout: float = Field(30.0, gt=0)
    max_document_mb: float = Field(100.0, gt=0)
    parse_timeout: float = Field(120.0, gt=0, description="seconds one file (PDF, Office, OpenDocument, EPUB, "
                                                          "e-mail, OCR) may take to parse before it is abandoned")
    crawl_max_pages: int = Field(0, ge=0, description="follow the links of each web page named to at most this many "
                                                     "pages under its folder (0: read only the pages named)")
    ocr_images: bool = Field(False, description="read images (.png, .jpg, .tif, …) in folders and e-mail attachments "
                                                "by Tesseract OCR; an image named on its own is always read")

    # Search
    search_mode: SearchMode = "hybrid"
    top_k: int = Field(5, ge=1, description="chunks a search returns")
    # Chosen on the SQLite and PostgreSQL answer keys with the default generator, checked on git's (docs/benchmarks.md):
    # 3 passages named the answer's key more often than 5, and generated faster.
    answer_k: int = Field(3, ge=1, description="passages an answer is grounded in (ask, chat)")
    quote_pointers: bool = Field(True, description="an answer that only points to a passage (\"See page › "
                                                   "Section [1].\") quotes that passage's opening")
    # Chosen on the SQLite and PostgreSQL sets (benchmarks/fusion_tuning.py), checked on the git set never tuned on.
    fusion: Literal["rrf", "convex"] = Field(
        "rrf", description="hybrid: weighted reciprocal-rank fusion, or a convex sum of min-max normalized scores")
    dense_weight: float = Field(0.9, ge=0, le=1, description="hybrid: the dense leg's share of the fused score")
    rrf_k: int = Field(60, ge=1)
    hybrid_candidates: int = Field(40, ge=1, description="candidates each leg of hybrid search fuses")
    max_per_source: int = Field(1, ge=0, description="at most this many chunks of one source (of one section, "
                                                     "in a PDF) in the top k (0: no cap); the cap gives way when "
                                                     "too few sources match")
    bm25_stop_words: bool = Field(True, description="drop English stop words from BM25 queries")
    relevance_floor: float = Field(
        0.0, ge=0, lt=1, description="ask: below this best cosine to a first question, say the documents do not "
                                     "cover it instead of generating (0 = off; 0.40 measured for the packaged "
                                     "MiniLM, relevance.MINILM_FLOOR; other embedders need their own)")

    # Generation
    llm_backend: str = Field("llamacpp", description="llamacpp (embedded default), openai, ollama or vllm")
    llm_model: str = Field("", description="llamacpp: GGUF path or packaged model name ('' = "
                                           "qwen2.5-coder-0.5b; smollm2-135m); openai, ollama, vllm: model name")
    llm_base_url: str = Field("", description="server URL; '' = http://127.0.0.1:8000/v1 (openai), "
                                              "http://127.0.0.1:11434 (ollama)")
    llm_api_key: str = ""
    llm_timeout: float = Field(120.0, gt=0, description="seconds per request (openai, ollama)")
    llm_max_retries: int = Field(2, ge=0, description="retries on connection errors (openai)")
    llm_context_window: int = Field(4096, ge=256)
    llm_threads: int | None = Field(None, ge=1, description="llama.cpp threads; None = one per physical core")
    llm_draft_tokens: int = Field(15, ge=0, le=64, description="llama.cpp: tokens drafted from the prompt while the "
                                                               "answer copies a passage (llm/lookup.py); 0 = off")
    vllm_dtype: str = Field("auto", description="vllm: auto (the checkpoint's, bfloat16 for Llama 3.1), "
                                                "bfloat16, float16, …")
    vllm_max_model_len: int | None = Field(8192, ge=256, description="vllm: tokens per sequence; bounds the "
                                                                     "KV cache (None = the model's own)")
    vllm_gpu_memory_utilization: float = Field(0.90, gt=0, le=1)
    vllm_enforce_eager: bool = Field(False, description="vllm: skip CUDA graphs (less memory, slower)")
    vllm_tensor_parallel_size: int = Field(1, ge=1)
    temperature: float = Field(0.2, ge=0)
    top_p: float = Field(0.95, gt=0, le=1)
    max_tokens: int = Field(512, ge=1)
    repeat_penalty: float = Field(1.1, gt=0, description="small models repeat themselves without one")
    seed: int | None = None
    system_prompt: str | None = Field(None, description="overrides saferag.prompts.SYSTEM")
    user_prompt: str | None = Field(
        None, description="overrides saferag.prompts.USER; fields {context}, {sources}, {question}")

    # Guard (Llama Guard 3 taxonomy)
    guard: Literal["embedded", "llama_guard", "off"] = Field(
        "embedded", description="embedded: the packaged offline classifier; llama_guard: Llama Guard 3 on a "
                                "generator backend (recommended for production); off")
    guard_backend: str = Field("", description="llama_guard: generator backend ('' = llm_backend)")
    guard_model: str = Field("", description="llama_guard: e.g. llama-guard3:1b (ollama), "
                                             "meta-llama/Llama-Guard-3-8B (vllm), a GGUF path (llamacpp)")
    guard_base_url: str = Field("", description="llama_guard: server URL ('' = llm_base_url)")
    guard_prompt_format: Literal["auto", "template", "raw"] = Field(
        "auto", description="template: the server's chat template builds Llama Guard's prompt; raw: saferag "
                            "builds it (auto: raw for llamacpp, template otherwise)")
    guard_timeout: float = Field(30.0, gt=0, description="seconds a guard check may take")
    guard_context_window: int = Field(4096, ge=256)
    guard_excluded_categories: Annotated[list[str], NoDecode, BeforeValidator(_hazard_codes)] = Field(
        default_factory=list, description="codes a team allows, e.g. S6 (comma-separated in env)")
    guard_answers: bool = Field(True, description="screen answers too (role agent)")
    guard_fail_open: bool = Field(False, description="answer when the guard fails (default: refuse)")
    self_harm_support: str = Field(SELF_HARM_SUPPORT, description="added to the refusal of a question read as "
                                                                  "self-harm (S11): where to find help; '' = none")
    guard_precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="embedded: the question model's precision in OpenVINO; auto: bfloat16 where the CPU "
                            "runs it natively (AMX, AVX512-BF16), else float32")
    guard_threshold: float | None = Field(None, gt=0, lt=1, description="embedded: unsafe-score cut-off "
                                                                        "(None = the trained one; questions read as "
                                                                        "self-harm use a lower one derived from it; "
                                                                        "answers are judged by the same rule, window "
                                                                        "by window)")
    injection_screen: Literal["drop", "quarantine", "off"] = Field(
        "drop", description="retrieved chunks flagged as prompt injection: drop them, quarantine them "
                            "(kept out of the prompt, returned for review), or off")
    injection_threshold: float = Field(0.5, gt=0, lt=1)

    # HTTP service (saferag serve)
    api_keys: dict[str, str | ApiKey] = Field(
        default_factory=dict, description="API key -> tenant, or -> {tenant, rate_limit} ([api_keys] table in "
                                          "TOML, JSON in env); none: one default tenant, loopback only")
    serve_collections: Names = Field(
        default_factory=list, description="collections served as models ('' = just `collection`)")
    max_concurrent_asks: int = Field(4, ge=1, description="asks generating at once (more wait in the queue)")
    max_queued_asks: int = Field(32, ge=0, description="asks waiting beyond those; past it: 429 + Retry-After")
    request_timeout: float = Field(120.0, gt=0, description="seconds an ask may take, queue wait included")
    max_upload_mb: float = Field(50.0, gt=0, description="largest upload to POST /v1/documents")
    max_request_kb: float = Field(256.0, gt=0, description="largest JSON request body")
    rate_limit: Rate = Field("", description="requests per API key, e.g. 60/minute ('' = no limit); per key in "
                                            "[api_keys]; shared by the workers through rate_limit_db")
    rate_limit_db: str = Field("", description="SQLite file the workers share for rate limits ('' = a temporary "
                                               "one per `saferag serve`)")

    # Asking a running server (saferag ask / chat --server)
    server_url: str = Field("", description="saferag ask and chat: hand questions to this running `saferag serve` "
                                            "(e.g. http://127.0.0.1:8000), whose models, guard and settings "
                                            "answer ('' = answer here)")
    server_api_key: str = Field("", description="the API key sent to server_url")

    # Audit trail
    audit_log: str = Field("", description="JSONL file: one line per refusal, guard failure and passage held "
                                           "back ('' = off)")
    audit_text: Literal["full", "hash", "none"] = Field(
        "full", description="what the audit log keeps of the screened text: all of it, its SHA-256, or nothing")
    audit_all: bool = Field(False, description="log every answered ask too, not only refusals")
    audit_max_mb: float = Field(100.0, ge=0, description="rotate the audit log past this size (0 = never)")
    audit_keep: int = Field(5, ge=1, description="rotated audit files kept (audit.jsonl.1 … .N)")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _keys(cls, value: object) -> object:
        """A key's table form says what is wrong with it (a union's error would name the plain-string form)."""
        from pydantic import ValidationError

        if not isinstance(value, dict):
            return value
        out = {}
        for key, entry in value.items():  # the key itself is never shown in an error
            try:
                out[key] = ApiKey.model_validate(entry) if isinstance(entry, dict) else entry
            except ValidationError as exc:
                first, tenant = exc.errors()[0], entry.get("tenant", "?")
                raise ValueError(f"the key of tenant {tenant!r}: {'.'.join(map(str, first['loc']))}: "
                                 f"{first['msg']}") from None
        return out

    # -- the groups, as nested views ------------------------------------------------------------------------

    @property
    def embedder_settings(self) -> EmbedSettings:
        return EmbedSettings(backend=self.embed_backend, model=self.embed_model, device=self.embed_device,
                             batch_size=self.embed_batch_size, precision=self.embed_precision,
                             runtime=self.embed_runtime, query_prefix=self.query_prefix,
                             passage_prefix=self.passage_prefix, cache_dir=self.cache_dir,
                             base_url=self.embed_base_url, api_key=self.embed_api_key, timeout=self.embed_timeout,
                             max_retries=self.embed_max_retries, concurrency=self.embed_concurrency,
                             threads=self.embed_threads)

    @property
    def llm_settings(self) -> LLMSettings:
        return LLMSettings(backend=self.llm_backend, model=self.llm_model, base_url=self.llm_base_url,
                           api_key=self.llm_api_key, timeout=self.llm_timeout, max_retries=self.llm_max_retries,
                           context_window=self.llm_context_window, threads=self.llm_threads,
                           draft_tokens=self.llm_draft_tokens, cache_dir=self.cache_dir,
                           vllm_dtype=self.vllm_dtype, vllm_max_model_len=self.vllm_max_model_len,
                           vllm_gpu_memory_utilization=self.vllm_gpu_memory_utilization,
                           vllm_enforce_eager=self.vllm_enforce_eager,
                           vllm_tensor_parallel_size=self.vllm_tensor_parallel_size, temperature=self.temperature,
                           top_p=self.top_p, max_tokens=self.max_tokens, repeat_penalty=self.repeat_penalty,
                           seed=self.seed)

    @property
    def guard_settings(self) -> GuardSettings:
        generator = self.llm_settings.model_copy(update={
            "backend": self.guard_backend or self.llm_backend, "model": self.guard_model,
            "base_url": self.guard_base_url or self.llm_base_url, "timeout": self.guard_timeout, "max_retries": 0,
            "context_window": self.guard_context_window, "env": "SAFERAG_GUARD_"})
        return GuardSettings(kind=self.guard, generator=generator, model=self.guard_model,
                             prompt_format=self.guard_prompt_format, timeout=self.guard_timeout,
                             excluded_categories=tuple(self.guard_excluded_categories), answers=self.guard_answers,
                             fail_open=self.guard_fail_open, threshold=self.guard_threshold,
                             precision=self.guard_precision)

    @property
    def server_settings(self) -> ServerSettings:
        return ServerSettings(api_keys=self.api_keys, serve_collections=tuple(self.serve_collections),
                              max_concurrent_asks=self.max_concurrent_asks, max_queued_asks=self.max_queued_asks,
                              request_timeout=self.request_timeout, max_upload_mb=self.max_upload_mb,
                              max_request_kb=self.max_request_kb, rate_limit=self.rate_limit,
                              rate_limit_db=self.rate_limit_db)

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_size ({self.chunk_size})"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = os.environ.get("SAFERAG_CONFIG", "saferag.toml")
        toml = TomlConfigSettingsSource(settings_cls, toml_file)
        _warn_unknown(toml_file, toml.toml_data, settings_cls)
        return (init_settings, env_settings, toml)


_warned: set[tuple[str, str]] = set()


def _warn_unknown(path: str, data: dict[str, Any], settings_cls: type[BaseSettings]) -> None:
    """Log, once per file and key, the keys of ``saferag.toml`` that no setting reads: a typo, or a setting since
    removed, would otherwise be ignored without a word (unknown keys are ignored so old files still load)."""
    for key in sorted(set(data) - set(settings_cls.model_fields)):
        if (path, key) not in _warned:
            _warned.add((path, key))
            logging.getLogger("saferag.config").warning("%s: %r is not a saferag setting; ignored", path, key)


def load_settings(**overrides: Any) -> Settings:
    """Settings from env and TOML, with the non-None ``overrides`` (e.g. CLI flags) on top."""
    from pydantic import ValidationError

    from saferag.errors import ConfigError

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"invalid setting {where}: {first['msg']}") from None
