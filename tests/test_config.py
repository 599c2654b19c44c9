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
