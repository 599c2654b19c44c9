"""saferag as an HTTP service (``saferag serve``): FastAPI on uvicorn."""

from __future__ import annotations

import ipaddress
import os
import shutil
import tempfile

from saferag.config import Settings, load_settings
from saferag.errors import ConfigError
from saferag.server.app import create_app

__all__ = ["create_app", "app_from_env", "check_bind", "serve"]


def app_from_env():
    """The app from env and ``saferag.toml``: the factory uvicorn's workers import."""
    return create_app(load_settings())


def check_bind(host: str, settings: Settings, *, insecure: bool = False) -> None:
    """Without API keys saferag serves one open tenant: only on loopback unless ``insecure``."""
    if settings.api_keys or insecure:
        return
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(f"no API keys are configured, so saferag serves anyone who can reach it: refusing to "
                          f"bind {host}. Configure api_keys (SAFERAG_API_KEYS or [api_keys] in saferag.toml), "
                          "bind 127.0.0.1, or pass --insecure")


def serve(host: str = "127.0.0.1", port: int = 8000, *, workers: int = 1, insecure: bool = False,
          settings: Settings | None = None) -> None:
    """Run the service until interrupted. Several workers need a Milvus server (a Lite file has one owner)."""
    import uvicorn

    s = settings or load_settings()
    check_bind(host, s, insecure=insecure)
    if workers > 1:
        if s.milvus_uri.endswith(".db"):
            raise ConfigError("a Milvus Lite file is owned by one process: use --workers 1, or a Milvus server "
                              "URI (SAFERAG_MILVUS_URI=http://host:19530) for several workers")
        # workers build their settings from the environment: pass on what the command line set, and one
        # rate-limit file for all of them (a temporary one unless rate_limit_db names it)
        shared = "" if s.rate_limit_db else tempfile.mkdtemp(prefix="saferag-ratelimit-")
        os.environ.update(SAFERAG_MILVUS_URI=s.milvus_uri, SAFERAG_COLLECTION=s.collection,
                          SAFERAG_MILVUS_TOKEN=s.milvus_token,
                          SAFERAG_RATE_LIMIT_DB=s.rate_limit_db or os.path.join(shared, "buckets.sqlite"))
        try:
            uvicorn.run("saferag.server:app_from_env", factory=True, host=host, port=port, workers=workers)
        finally:
            if shared:
                shutil.rmtree(shared, ignore_errors=True)
    else:
        uvicorn.run(create_app(s), host=host, port=port)
