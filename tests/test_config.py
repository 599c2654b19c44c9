import pytest

from saferag.config import load_settings
from saferag.errors import ConfigError


def test_defaults():
    s = load_settings()
    assert (s.milvus_uri, s.collection, s.chunk_size, s.chunk_overlap, s.search_mode) == (
        "./saferag.db", "saferag", 512, 51, "hybrid")


def test_toml_then_env_then_arguments(tmp_path, monkeypatch):
    toml = tmp_path / "saferag.toml"
    toml.write_text('collection = "from_toml"\nchunk_size = 300\ntop_k = 7\n')
    monkeypatch.setenv("SAFERAG_CONFIG", str(toml))
    monkeypatch.setenv("SAFERAG_CHUNK_SIZE", "400")
    s = load_settings(top_k=9, collection=None)
    assert (s.collection, s.chunk_size, s.top_k) == ("from_toml", 400, 9)


def test_invalid_settings_are_config_errors(monkeypatch):
    with pytest.raises(ConfigError, match="chunk_overlap .* must be smaller"):
        load_settings(chunk_size=100, chunk_overlap=100)
    monkeypatch.setenv("SAFERAG_SEARCH_MODE", "fuzzy")
    with pytest.raises(ConfigError, match="search_mode"):
        load_settings()


def test_none_overrides_mean_not_set(tmp_path):
    from saferag import SafeRag

    base = load_settings(collection="from_settings")
    assert SafeRag(base, collection=None, milvus_uri=None).settings.collection == "from_settings"
    assert SafeRag(collection=None).settings.collection == "saferag"
    assert SafeRag(base, top_k=3).settings.top_k == 3


def test_service_settings_from_env_and_toml(monkeypatch, tmp_path):
    monkeypatch.setenv("SAFERAG_API_KEYS", '{"key-1": "team_a", "key-2": "team_b"}')
    monkeypatch.setenv("SAFERAG_SERVE_COLLECTIONS", "docs, handbook")
    s = load_settings()
    assert s.api_keys == {"key-1": "team_a", "key-2": "team_b"} and s.serve_collections == ["docs", "handbook"]
    monkeypatch.delenv("SAFERAG_API_KEYS")
    toml = tmp_path / "saferag.toml"
    toml.write_text('tenant = "team_a"\n[api_keys]\n"key-3" = "team_c"\n')
    monkeypatch.setenv("SAFERAG_CONFIG", str(toml))
    s = load_settings()
    assert s.api_keys == {"key-3": "team_c"} and s.tenant == "team_a"
    with pytest.raises(ConfigError, match="tenant"):
        load_settings(tenant="no spaces allowed")


def test_rate_limits_and_the_table_form_of_api_keys(monkeypatch, tmp_path):
    from saferag.config import ApiKey

    toml = tmp_path / "saferag.toml"
    toml.write_text('rate_limit = "60/minute"\n[api_keys]\n"key-1" = "team_a"\n'
                    '[api_keys."key-2"]\ntenant = "team_b"\nrate_limit = "600/hour"\n')
    monkeypatch.setenv("SAFERAG_CONFIG", str(toml))
    s = load_settings()
    assert s.rate_limit == "60/minute"
    assert s.api_keys == {"key-1": "team_a", "key-2": ApiKey(tenant="team_b", rate_limit="600/hour")}
    monkeypatch.setenv("SAFERAG_API_KEYS", '{"key-3": {"tenant": "team_c", "rate_limit": "5 per 10 seconds"}}')
    assert load_settings().api_keys["key-3"].rate_limit == "5 per 10 seconds"
    with pytest.raises(ConfigError, match="rate limit 'lots'"):
        load_settings(rate_limit="lots")
    monkeypatch.setenv("SAFERAG_API_KEYS", '{"secret-key-4": {"tenant": "team_d", "rate_limit": "9/fortnight"}}')
    with pytest.raises(ConfigError, match="tenant 'team_d'") as bad:
        load_settings()
    assert "secret-key-4" not in str(bad.value)  # a key is never shown, even in a config error


def test_flat_settings_read_as_nested_groups(monkeypatch):
    """Flat names (env, TOML, keyword arguments) stay the way to set anything; each component reads its group."""
    monkeypatch.setenv("SAFERAG_LLM_MODEL", "from-env")
    monkeypatch.setenv("SAFERAG_GUARD_BACKEND", "ollama")
    s = load_settings(temperature=0.3, llm_base_url="http://llm:8000/v1", guard="llama_guard",
                      guard_model="llama-guard3:1b", guard_timeout=5, guard_excluded_categories="S6",
                      embed_device="cpu", serve_collections="a b", max_queued_asks=3)
    llm = s.llm_settings
    assert (llm.backend, llm.model, llm.base_url, llm.temperature, llm.max_retries) == (
        "llamacpp", "from-env", "http://llm:8000/v1", 0.3, 2)
    guard = s.guard_settings  # Llama Guard's own generator: the guard_* settings over the llm_* ones, no retries
    assert (guard.kind, guard.model, guard.excluded_categories) == ("llama_guard", "llama-guard3:1b", ("S6",))
    gen = guard.generator
    assert (gen.backend, gen.model, gen.base_url, gen.timeout, gen.max_retries, gen.temperature) == (
        "ollama", "llama-guard3:1b", "http://llm:8000/v1", 5, 0, 0.3)
    assert (s.embedder_settings.backend, s.embedder_settings.device) == ("sentence-transformers", "cpu")
    assert (s.server_settings.serve_collections, s.server_settings.max_queued_asks) == (("a", "b"), 3)
    assert load_settings(guard="off").guard_settings.kind == "off"


def test_components_come_from_one_registry_that_names_the_choices():
    from saferag.embed import load_embedder
    from saferag.errors import EmbedderError, GeneratorError
    from saferag.guard import load_guard
    from saferag.llm import load_generator

    with pytest.raises(EmbedderError, match="unknown embedding backend 'nope': use one of sentence-transformers"):
        load_embedder(load_settings(embed_backend="nope"))
    with pytest.raises(GeneratorError, match="unknown LLM backend 'gpt5': use one of llamacpp, openai"):
        load_generator(load_settings(llm_backend="gpt5"))
    assert load_guard(load_settings(guard="off")) is None


def test_an_unknown_key_in_saferag_toml_is_named_once_and_the_rest_still_loads(tmp_path, monkeypatch, caplog):
    toml = tmp_path / "saferag.toml"
    toml.write_text('llm_quant = "q4_0"\ntop_kk = 3\ntop_k = 4\n')  # a removed setting, a typo, a real one
    monkeypatch.setenv("SAFERAG_CONFIG", str(toml))
    with caplog.at_level("WARNING", logger="saferag.config"):
        assert load_settings().top_k == 4 and load_settings().top_k == 4
    named = [r.getMessage() for r in caplog.records if r.name == "saferag.config"]
    assert len(named) == 2 and "'llm_quant'" in named[0] and "'top_kk'" in named[1], named
    assert not any("top_k'" in m for m in named)
