"""The collection's commands: ``ingest``, ``search``, ``stats`` and ``delete``."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from saferag.cli.common import Collection, Json, Mode, Token, Uri, check_mode, err, make_rag, out, run
from saferag.errors import SafeRagError
from saferag.ingest.headings import SEPARATOR


def ingest(
    paths: Annotated[list[str], typer.Argument(help="files, folders, or http(s)/file URLs")],
    uri: Uri = None, collection: Collection = None, token: Token = None,
    glob: Annotated[str | None, typer.Option("--glob", help="only files matching, e.g. '*.html'")] = None,
    prune: Annotated[bool, typer.Option("--prune", help="delete sources not found in this ingest")] = False,
    ray: Annotated[str | None, typer.Option(
        "--ray", help="read, split and embed on Ray (pip install 'saferag[ray]'): local, auto, or a cluster "
                      "address such as ray://head:10001")] = None,
    crawl: Annotated[int | None, typer.Option(
        "--crawl", min=0, help="follow each web page's links to at most N pages under its folder")] = None,
    as_json: Json = False,
) -> None:
    """Ingest documents: unchanged ones are skipped, changed ones replaced."""

    def body():
        rag = make_rag(uri, collection, token)
        show = not as_json and err.is_terminal
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, disable=not show, transient=True) as bar:
            task = bar.add_task("loading model", total=None)
            report = rag.ingest(
                paths, glob=glob, prune=prune, ray=ray, crawl=crawl,
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

    report = run(body)
    if report.failed and not report.documents:
        raise typer.Exit(1)


def search(
    question: Annotated[str, typer.Argument(help="what to look for, in your words")],
    k: Annotated[int, typer.Option("-k", min=1, help="how many chunks")] = 5,
    mode: Mode = None,
    filter: Annotated[str, typer.Option("--filter", help='Milvus filter, e.g. \'source like "api/%"\'')] = "",
    uri: Uri = None, collection: Collection = None, token: Token = None, as_json: Json = False,
) -> None:
    """Search the collection: hybrid (dense + BM25, RRF), dense or bm25."""

    def body():
        hits = make_rag(uri, collection, token).search(question, k=k, mode=check_mode(mode), filter=filter)
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

    run(body)


def stats(uri: Uri = None, collection: Collection = None, token: Token = None, as_json: Json = False) -> None:
    """Show the collection's size and embedder."""

    def body():
        info = make_rag(uri, collection, token).stats()
        if as_json:
            out.print(json.dumps(info), markup=False)
            return
        table = Table(show_header=False, box=None)
        for key, value in info.items():
            table.add_row(key, str(value))
        out.print(table)

    run(body)


def delete(
    source: Annotated[str, typer.Option("--source", help="the source to delete (as `search` shows it)")],
    uri: Uri = None, collection: Collection = None, token: Token = None, as_json: Json = False,
) -> None:
    """Delete every chunk of one source."""

    def body():
        n = make_rag(uri, collection, token).delete(source)
        if as_json:
            out.print(json.dumps({"source": source, "deleted": n}), markup=False)
        elif n:
            out.print(f"deleted {n} chunks of {source}", markup=False)
        else:
            raise SafeRagError(f"no chunks with source {source!r}; `saferag search` shows sources")

    run(body)
