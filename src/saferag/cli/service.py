"""``saferag serve``: the HTTP service and the web chat page."""

from __future__ import annotations

from typing import Annotated

import typer

from saferag.cli.common import Collection, Token, Uri, err, run


def serve(
    host: Annotated[str, typer.Option("--host", help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="worker processes (needs a Milvus server URI)")] = 1,
    insecure: Annotated[bool, typer.Option("--insecure", help="bind a non-loopback address without API keys")] = False,
    uri: Uri = None, collection: Collection = None, token: Token = None,
) -> None:
    """Serve the HTTP API (OpenAI-compatible chat, moderation, documents) and the web chat page."""

    def body():
        from saferag.config import load_settings
        from saferag.server import serve as serve_http

        settings = load_settings(milvus_uri=uri, collection=collection, milvus_token=token)
        if not settings.api_keys:
            err.print(f"no API keys configured: serving one default tenant to anyone who reaches {host}:{port}"
                      + ("" if not insecure else " (--insecure)"))
        serve_http(host, port, workers=workers, insecure=insecure, settings=settings)

    run(body)
