"""What every ``saferag`` command shares: the consoles, the common options, building the engine, and running a
command body so that a ``SafeRagError`` is one line on stderr and Ctrl-C a clean exit."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from saferag.errors import SafeRagError
from saferag.ingest.document import PLACE_KEYS
from saferag.ingest.headings import SEPARATOR

if TYPE_CHECKING:
    from saferag.rag import SafeRag

T = TypeVar("T")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

Uri = Annotated[str | None, typer.Option(
    "--uri", help="Milvus Lite file (*.db) or server URI (env SAFERAG_MILVUS_URI)")]
Token = Annotated[str | None, typer.Option("--token", help="Milvus token (env SAFERAG_MILVUS_TOKEN)")]
Collection = Annotated[str | None, typer.Option("--collection", "-c", help="collection name (env SAFERAG_COLLECTION)")]
Json = Annotated[bool, typer.Option("--json", help="print machine-readable JSON")]
Mode = Annotated[str | None, typer.Option("--mode", help="hybrid (default), dense or bm25")]
Backend = Annotated[str | None, typer.Option("--backend", help="LLM backend (env SAFERAG_LLM_BACKEND)")]
Model = Annotated[str | None, typer.Option("--model", help="model for the backend (env SAFERAG_LLM_MODEL)")]


def quiet_libraries() -> None:
    """Keep library chatter (progress bars, RPC error logs) out of the command's output."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import pymilvus  # noqa: F401 - it configures its loggers on import; quiet them after that

    quiet = ("pymilvus", "milvus_lite", "sentence_transformers", "transformers", "httpx")
    for name in quiet:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    for name in list(logging.root.manager.loggerDict):
        if name.startswith(quiet):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def make_rag(uri: str | None, collection: str | None, token: str | None = None, **overrides: Any) -> SafeRag:
    from saferag.rag import SafeRag

    return SafeRag(milvus_uri=uri, collection=collection, milvus_token=token, **overrides)


def print_piece(piece: str) -> None:
    """Print a streamed piece of an answer as it arrives."""
    out.print(piece, end="", markup=False)


def run(fn: Callable[[], T], *, libraries: bool = True) -> T:
    """Run a command body: a ``SafeRagError`` is one line on stderr, Ctrl-C a clean exit. ``libraries``: the
    body loads models or Milvus (quieted first); a body that only talks to a server skips their imports."""
    if libraries:
        quiet_libraries()
    try:
        return fn()
    except SafeRagError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted: run the same command again to finish; nothing is duplicated or lost")
        raise typer.Exit(130) from None


def check_mode(mode: str | None) -> Any:
    """``--mode`` as given (None: the configured one); an unknown mode is an error naming the modes."""
    from saferag.types import MODES

    if mode is not None and mode not in MODES:
        raise SafeRagError(f"unknown --mode {mode!r}: use one of {', '.join(MODES)}")
    return mode


def print_verdict(verdict: dict | None) -> None:
    """The verdict line under an answer, worded as `saferag guard` words it."""
    from saferag.guard import Verdict

    if not verdict or verdict["guard"] == "off":
        return
    out.print(f"  guard ({verdict['role']}, {verdict['guard']}): {Verdict.from_dict(verdict).describe()}",
              markup=False)


def print_sources(answer: Any) -> None:
    seen: set[tuple[int, str, str]] = set()
    out.print("\n[bold]Sources[/bold]")
    for s in sorted(answer.sources, key=lambda s: s["citation"]):  # one line per source, section and place
        place = ", ".join(f"{key} {s[key]}" for key in PLACE_KEYS if s.get(key) is not None)
        if (s["citation"], s["link"], place) not in seen:
            seen.add((s["citation"], s["link"], place))
            where = f" ({SEPARATOR.join(s['headings'])})" if s["headings"] else ""
            out.print(f"  [{s['citation']}] {s['link']}{where}{f' ({place})' if place else ''}", markup=False)
    for note in answer.notes:
        out.print(f"  note: {note}", markup=False)
