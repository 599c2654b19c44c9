"""The ``saferag`` command: ingest, search, stats, delete and evaluation."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from saferag.audit_cli import command as audit_command
from saferag.errors import SafeRagError
from saferag.ingest.headings import SEPARATOR

app = typer.Typer(help="Self-hosted, safe RAG over your own documents.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
eval_app = typer.Typer(help="Measure retrieval and guard quality.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

Uri = Annotated[str | None, typer.Option(
    "--uri", help="Milvus Lite file (*.db) or server URI (env SAFERAG_MILVUS_URI)")]
Token = Annotated[str | None, typer.Option("--token", help="Milvus token (env SAFERAG_MILVUS_TOKEN)")]
Collection = Annotated[str | None, typer.Option("--collection", "-c", help="collection name (env SAFERAG_COLLECTION)")]
Json = Annotated[bool, typer.Option("--json", help="print machine-readable JSON")]
Mode = Annotated[str | None, typer.Option("--mode", help="hybrid (default), dense or bm25")]


def _quiet_libraries() -> None:
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


def _rag(uri: str | None, collection: str | None, token: str | None = None, **overrides):
    from saferag.rag import SafeRag

    return SafeRag(milvus_uri=uri, collection=collection, milvus_token=token, **overrides)


def _print_piece(piece: str) -> None:
    """Print a streamed piece of an answer as it arrives."""
    out.print(piece, end="", markup=False)


def _run(fn):
    """Run a command body: a ``SafeRagError`` is one line on stderr, Ctrl-C a clean exit."""
    _quiet_libraries()
    try:
        return fn()
    except SafeRagError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted: run the same command again to finish; nothing is duplicated or lost")
        raise typer.Exit(130) from None


def _mode(mode: str | None):
    from saferag.types import MODES

    if mode is not None and mode not in MODES:
        raise SafeRagError(f"unknown --mode {mode!r}: use one of {', '.join(MODES)}")
    return mode


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="files, folders, or http(s)/file URLs")],
    uri: Uri = None, collection: Collection = None, token: Token = None,
    glob: Annotated[str | None, typer.Option("--glob", help="only files matching, e.g. '*.html'")] = None,
    prune: Annotated[bool, typer.Option("--prune", help="delete sources not found in this ingest")] = False,
    as_json: Json = False,
) -> None:
    """Ingest documents: unchanged ones are skipped, changed ones replaced."""

    def body():
        rag = _rag(uri, collection, token)
        show = not as_json and err.is_terminal
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, disable=not show, transient=True) as bar:
            task = bar.add_task("loading model", total=None)
            report = rag.ingest(
                paths, glob=glob, prune=prune,
                on_start=lambda n: bar.update(task, total=n, description="ingesting"),
                on_document=lambda s: bar.advance(task))
        if as_json:
            out.print(json.dumps(report.to_dict()), markup=False)
            return report
        out.print(f"documents {report.documents}  chunks written {report.chunks_written}  "
                  f"unchanged {report.unchanged}  replaced {report.replaced}  skipped {report.skipped}  "
                  f"failed {len(report.failed)}  pruned {len(report.pruned)}  "
                  f"{report.seconds:.1f}s (embedding {report.embed_seconds:.1f}s)", markup=False)
        for f in report.failed:
            out.print(f"  failed  {f['source']}: {f['reason']}", markup=False)
        for p in report.pruned:
            out.print(f"  pruned  {p}", markup=False)
        return report

    report = _run(body)
    if report.failed and not report.documents:
        raise typer.Exit(1)


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="what to look for, in your words")],
    k: Annotated[int, typer.Option("-k", min=1, help="how many chunks")] = 5,
    mode: Mode = None,
    filter: Annotated[str, typer.Option("--filter", help='Milvus filter, e.g. \'source like "api/%"\'')] = "",
    uri: Uri = None, collection: Collection = None, token: Token = None, as_json: Json = False,
) -> None:
    """Search the collection: hybrid (dense + BM25, RRF), dense or bm25."""

    def body():
        hits = _rag(uri, collection, token).search(question, k=k, mode=_mode(mode), filter=filter)
        if as_json:
            out.print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False), markup=False)
            return
        if not hits:
            out.print("no results")
        for i, h in enumerate(hits, 1):
            out.print(f"[bold]{i}. {escape(h.link)}[/bold] #{h.chunk_index}  score {h.score:.4f}")
            if h.headings:
                out.print("   " + SEPARATOR.join(h.headings), markup=False)
            out.print("   " + " ".join(h.text.split())[:300], markup=False)

    _run(body)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="your question")],
    k: Annotated[int, typer.Option("-k", min=1, help="how many passages to give the model")] = 5,
    backend: Annotated[str | None, typer.Option("--backend", help="LLM backend (env SAFERAG_LLM_BACKEND)")] = None,
    model: Annotated[str | None, typer.Option("--model", help="model for the backend (env SAFERAG_LLM_MODEL)")] = None,
    stream: Annotated[bool, typer.Option("--stream", help="print the answer as it is generated")] = False,
    mode: Mode = None,
    filter: Annotated[str, typer.Option("--filter", help="Milvus filter on the passages")] = "",
    uri: Uri = None, collection: Collection = None, token: Token = None, as_json: Json = False,
) -> None:
    """Answer a question from the collection, citing its sources."""

    def body():
        rag = _rag(uri, collection, token, llm_backend=backend, llm_model=model)
        printer = _print_piece if stream and not as_json else None
        answer = rag.ask(question, k=k, mode=_mode(mode), filter=filter, on_token=printer)
        if as_json:
            out.print(json.dumps(answer.to_dict(), ensure_ascii=False), markup=False)
            return
        out.print("" if printer and not answer.refused else answer.answer, markup=False)
        if not answer.refused:
            _print_sources(answer)
        _print_verdict(answer.guard)

    _run(body)


app.command("audit")(audit_command)  # saferag audit: the body and its options live in audit_cli


@app.command()
def chat(
    backend: Annotated[str | None, typer.Option("--backend", help="LLM backend (env SAFERAG_LLM_BACKEND)")] = None,
    model: Annotated[str | None, typer.Option("--model", help="model for the backend (env SAFERAG_LLM_MODEL)")] = None,
    k: Annotated[int | None, typer.Option("-k", min=1, help="passages per answer")] = None,
    uri: Uri = None, collection: Collection = None, token: Token = None,
) -> None:
    """Chat with the collection in the terminal: follow-ups keep the conversation; /sources, /reset, /exit."""
    from saferag.chat_cli import run

    def body():
        rag = _rag(uri, collection, token, llm_backend=backend, llm_model=model, top_k=k)
        rag.open_existing()  # a missing collection fails before the first prompt
        run(rag, write=lambda text: out.print(text, end="", markup=False, highlight=False))

    _run(body)


def _print_verdict(verdict: dict | None) -> None:
    """The verdict line under an answer, worded as `saferag guard` words it."""
    from saferag.guard import Verdict

    if not verdict or verdict["guard"] == "off":
        return
    out.print(f"  guard ({verdict['role']}, {verdict['guard']}): {Verdict.from_dict(verdict).describe()}",
              markup=False)


def _print_sources(answer) -> None:
    seen: set[tuple[int, str, str]] = set()
    out.print("\n[bold]Sources[/bold]")
    for s in sorted(answer.sources, key=lambda s: s["citation"]):  # one line per source, section and place
        place = ", ".join(f"{key} {s[key]}" for key in ("page", "slide", "sheet") if s.get(key) is not None)
        if (s["citation"], s["link"], place) not in seen:
            seen.add((s["citation"], s["link"], place))
            where = f" ({SEPARATOR.join(s['headings'])})" if s["headings"] else ""
            out.print(f"  [{s['citation']}] {s['link']}{where}{f' ({place})' if place else ''}", markup=False)
    for note in answer.notes:
        out.print(f"  note: {note}", markup=False)


@app.command()
def stats(uri: Uri = None, collection: Collection = None, token: Token = None, as_json: Json = False) -> None:
    """Show the collection's size and embedder."""

    def body():
        info = _rag(uri, collection, token).stats()
        if as_json:
            out.print(json.dumps(info), markup=False)
            return
        table = Table(show_header=False, box=None)
        for key, value in info.items():
            table.add_row(key, str(value))
        out.print(table)

    _run(body)


@app.command()
def delete(
    source: Annotated[str, typer.Option("--source", help="the source to delete (as `search` shows it)")],
    uri: Uri = None, collection: Collection = None, token: Token = None, as_json: Json = False,
) -> None:
    """Delete every chunk of one source."""

    def body():
        n = _rag(uri, collection, token).delete(source)
        if as_json:
            out.print(json.dumps({"source": source, "deleted": n}), markup=False)
        elif n:
            out.print(f"deleted {n} chunks of {source}", markup=False)
        else:
            raise SafeRagError(f"no chunks with source {source!r}; `saferag search` shows sources")

    _run(body)


@app.command()
def guard(
    text: Annotated[str, typer.Argument(help="the text to screen")],
    role: Annotated[str, typer.Option("--role", help="user (a question) or agent (an answer)")] = "user",
    question: Annotated[str, typer.Option("--question", help="with --role agent: the question it answers")] = "",
    as_json: Json = False,
) -> None:
    """Screen a text with the configured guard (Llama Guard 3 categories S1-S14)."""

    def body():
        if role not in ("user", "agent"):
            raise SafeRagError(f"--role must be user or agent, not {role!r}")
        verdict = _rag(None, None).screen(text, role=role, question=question)
        if as_json:
            out.print(json.dumps(verdict.to_dict(), ensure_ascii=False), markup=False)
        else:
            out.print(verdict.describe(), markup=False)
        if verdict.error and not verdict.safe:
            raise typer.Exit(2)

    _run(body)


@eval_app.command("guard")
def eval_guard(
    file: Annotated[str, typer.Argument(help="CSV (prompt,label) or JSONL with labels safe/unsafe")],
    as_json: Json = False,
) -> None:
    """Precision, recall, F1 and false-positive rate of the guard, overall and per category."""

    def body():
        from saferag.evaluate import evaluate_guard, load_labeled

        result = evaluate_guard(_rag(None, None), load_labeled(file))
        if as_json:
            out.print(json.dumps(result), markup=False)
            return

        def fmt(x):
            return "-" if x is None else f"{x:.3f}"

        metrics = ("precision", "recall", "f1", "false_positive_rate")
        table = Table("category", "n", "precision", "recall", "F1", "FPR")
        for name, r in {"[bold]all[/bold]": result, **result["per_category"]}.items():
            table.add_row(name, str(r["n"]), *(fmt(r[m]) for m in metrics))
        out.print(table)
        out.print(f"guard {result['guard']}; {result['errors']} guard errors; latency p50 "
                  f"{result['latency_ms']['p50']:.1f} ms, p95 {result['latency_ms']['p95']:.1f} ms", markup=False)

    _run(body)


@eval_app.command("retrieval")
def eval_retrieval(
    file: Annotated[str, typer.Argument(help='JSONL lines {"question": ..., "source": ...}')],
    k: Annotated[int, typer.Option("-k", min=1)] = 5, mode: Mode = None,
    filter: Annotated[str, typer.Option("--filter")] = "",
    uri: Uri = None, collection: Collection = None, token: Token = None, as_json: Json = False,
) -> None:
    """hit@1, hit@k and MRR of the expected source in the top-k results."""
    from saferag.evaluate import evaluate_retrieval, load_qa

    def body():
        rag = _rag(uri, collection, token)
        res = evaluate_retrieval(rag, load_qa(file), k=k, mode=_mode(mode) or rag.settings.search_mode,
                                 filter=filter)
        if as_json:
            out.print(json.dumps(res), markup=False)
            return
        out.print(f"n {res['n']}  mode {res['mode']}  hit@1 {res['hit@1']:.3f}  "
                  f"hit@{k} {res[f'hit@{k}']:.3f}  MRR {res['mrr']:.3f}", markup=False)
        for q in res["misses"]:
            out.print(f"  miss: {q}", markup=False)

    _run(body)


@eval_app.command("answers")
def eval_answers(
    file: Annotated[str, typer.Argument(help='JSONL lines {"question", "source", "key": [strings]}')],
    k: Annotated[int | None, typer.Option("-k", min=1, help="passages per answer (default: top_k)")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="LLM backend (env SAFERAG_LLM_BACKEND)")] = None,
    model: Annotated[str | None, typer.Option("--model", help="model for the backend (env SAFERAG_LLM_MODEL)")] = None,
    uri: Uri = None, collection: Collection = None, token: Token = None, as_json: Json = False,
) -> None:
    """Ask every question and score the answers: source hit@k, key rate, valid citations, refusals, latency."""
    from saferag.evaluate import evaluate_answers, load_qa

    def body():
        rag = _rag(uri, collection, token, llm_backend=backend, llm_model=model)
        items = load_qa(file, keys=True)
        show = not as_json and err.is_terminal
        with Progress(TextColumn("asking"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, disable=not show, transient=True) as bar:
            task = bar.add_task("asking", total=len(items))
            res = evaluate_answers(rag, items, k=k, on_answer=lambda *_: bar.advance(task))
        if as_json:
            out.print(json.dumps(res, ensure_ascii=False), markup=False)
            return

        def pct(x):
            return "-" if x is None else f"{x:.3f}"

        out.print(f"n {res['n']}  source hit@{res['k']} {pct(res['source_hit'])}  key rate {pct(res['key_rate'])}  "
                  f"refused {res['refused']}  cites {pct(res['cites'])}  citations valid "
                  f"{pct(res['citations_valid'])}  latency p50 {res['latency_s']['p50']:.2f}s "
                  f"p95 {res['latency_s']['p95']:.2f}s  generation p50 {res['generation_s']['p50']:.2f}s",
                  markup=False)
        for r in res["answers"]:
            if not r["key_hit"]:
                why = "refused" if r["refused"] else "no key"
                out.print(f"  {why}: {r['question']}", markup=False)

    _run(body)


DEMO_QUESTION = "What happens if an ingest is killed halfway through?"


@app.command()
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
        from saferag.server import serve as run

        settings = load_settings(milvus_uri=uri, collection=collection, milvus_token=token)
        if not settings.api_keys:
            err.print(f"no API keys configured: serving one default tenant to anyone who reaches {host}:{port}"
                      + ("" if not insecure else " (--insecure)"))
        run(host, port, workers=workers, insecure=insecure, settings=settings)

    _run(body)


@app.command()
def demo(
    question: Annotated[str, typer.Argument(help="what to ask saferag's own docs")] = DEMO_QUESTION,
    uri: Uri = None, as_json: Json = False,
) -> None:
    """Ingest saferag's own documentation (shipped with the package) and answer a question from it,
    with sources. Offline: the embedder and the LLM ship as Python packages."""
    from saferag.demo import demo_docs

    def body():
        rag = _rag(uri, "saferag_demo")
        report = rag.ingest([str(demo_docs())])
        if not as_json:
            out.print(f"Ingested {report.documents} documents of saferag's docs into collection "
                      f"'saferag_demo' at {rag.settings.milvus_uri} ({report.chunks_written} chunks written, "
                      f"{report.unchanged} unchanged, {report.seconds:.1f}s).\n", markup=False)
            out.print(f"[bold]Q: {question}[/bold]")
        answer = rag.ask(question, k=3, on_token=None if as_json else _print_piece)
        if as_json:
            out.print(json.dumps({"ingest": report.to_dict(), "question": question, **answer.to_dict()},
                                 ensure_ascii=False), markup=False)
            return
        out.print()
        _print_sources(answer)

    _run(body)


def main() -> None:  # pragma: no cover - console-script entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
