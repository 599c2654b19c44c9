"""The ``saferag`` command: ingest, search, ask, chat, stats, delete, guard, serve, demo, audit, cache and evaluation.

Each command is a function in a module of its own family (``collection``, ``answers``, ``evaluation``,
``service``, ``maintenance``, and ``saferag.audit_cli``); they are registered here, in the order ``saferag --help``
lists them.
"""

from __future__ import annotations

import typer

from saferag.audit_cli import command as audit_command
from saferag.cli.answers import ask, chat, demo, guard
from saferag.cli.collection import delete, ingest, search, stats
from saferag.cli.evaluation import eval_answers, eval_guard, eval_retrieval
from saferag.cli.maintenance import cache
from saferag.cli.service import serve

app = typer.Typer(help="Self-hosted, safe RAG over your own documents.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
eval_app = typer.Typer(help="Measure retrieval and guard quality.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

app.command()(ingest)
app.command()(search)
app.command()(ask)
app.command("audit")(audit_command)  # saferag audit: the body and its options live in audit_cli
app.command()(chat)
app.command()(stats)
app.command()(delete)
app.command()(guard)
app.command()(serve)
app.command()(demo)
app.command()(cache)
eval_app.command("guard")(eval_guard)
eval_app.command("retrieval")(eval_retrieval)
eval_app.command("answers")(eval_answers)


def main() -> None:  # pragma: no cover - console-script entry
    app()
