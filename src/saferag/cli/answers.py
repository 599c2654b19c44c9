"""The answering commands: ``ask``, ``chat`` (interactive), ``guard`` (a verdict) and ``demo``."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any

import typer

from saferag.cli.common import (Backend, Collection, Json, Mode, Model, Token, Uri, check_mode, make_rag, out,
                                print_piece, print_sources, print_verdict, quiet_libraries, run)
from saferag.errors import SafeRagError
from saferag.llm import sampling_from


Server = Annotated[str | None, typer.Option(
    "--server", help="use a running `saferag serve` at this URL, which has its models loaded: nothing loads "
                     "here (env SAFERAG_SERVER_URL; '' = load them here)")]


def ask(
    question: Annotated[str, typer.Argument(help="your question")],
    k: Annotated[int | None, typer.Option("-k", min=1, help="passages to give the model (default: answer_k)")] = None,
    backend: Backend = None,
    model: Model = None,
    stream: Annotated[bool, typer.Option("--stream", help="print the answer as it is generated")] = False,
    mode: Mode = None,
    filter: Annotated[str, typer.Option("--filter", help="Milvus filter on the passages")] = "",
    uri: Uri = None, collection: Collection = None, token: Token = None, as_json: Json = False,
    server: Server = None,
) -> None:
    """Answer a question from the collection, citing its sources."""

    def body():
        from saferag.config import load_settings

        settings = load_settings()
        url = settings.server_url if server is None else server
        printer = print_piece if stream and not as_json else None
        if url:
            answer = _ask_server(url, settings, question, k=k, mode=mode, filter=filter, on_token=printer,
                                 collection=collection, unused={"--backend": backend, "--model": model,
                                                                "--uri": uri, "--token": token})
        else:
            quiet_libraries()
            with make_rag(uri, collection, token, llm_backend=backend, llm_model=model) as rag:
                answer = rag.ask(question, k=k, mode=check_mode(mode), filter=filter, on_token=printer)
        if as_json:
            out.print(json.dumps(answer.to_dict(), ensure_ascii=False), markup=False)
            return
        out.print("" if printer and not answer.refused else answer.answer, markup=False)
        if not answer.refused:
            print_sources(answer)
        print_verdict(answer.guard)

    run(body, libraries=False)  # quieted in body when it loads them: a server's client imports none


def _ask_server(url: str, settings: Any, question: str, *, collection: str | None, unused: dict[str, object],
                **kwargs: Any) -> Any:
    """``ask`` through a running server, with its models and guard."""
    from saferag.remote import ask_remote

    _no_local_options(unused)
    kwargs["mode"] = check_mode(kwargs["mode"])
    return ask_remote(url, question, collection=_server_collection(settings, collection),
                      api_key=settings.server_api_key, **kwargs)


def _no_local_options(options: dict[str, object]) -> None:
    """Options that choose what this process would load are an error with ``--server``, not silently ignored."""
    given = [name for name, value in options.items() if value is not None]
    if given:
        raise SafeRagError(f"{', '.join(given)} choose what this process loads; with a server (--server or "
                           "SAFERAG_SERVER_URL) the server's own settings answer: leave them out, or pass --server ''")


def _server_collection(settings: Any, collection: str | None) -> str:
    """The collection to ask a server for: ``--collection``, else the configured one when set, else '' (the
    server's first)."""
    if collection is None and "collection" in settings.model_fields_set:
        collection = settings.collection
    return collection or ""


def chat(
    backend: Backend = None,
    model: Model = None,
    k: Annotated[int | None, typer.Option("-k", min=1, help="passages per answer")] = None,
    uri: Uri = None, collection: Collection = None, token: Token = None, server: Server = None,
) -> None:
    """Chat with the collection in the terminal: follow-ups keep the conversation; /sources, /reset, /exit."""
    from saferag.chat_cli import run as converse

    def write(text: str) -> None:
        out.print(text, end="", markup=False, highlight=False)

    def body():
        from saferag.config import load_settings

        settings = load_settings()
        url = settings.server_url if server is None else server
        if url:
            from saferag.remote import RemoteChat

            _no_local_options({"--backend": backend, "--model": model, "--uri": uri, "--token": token})
            remote = RemoteChat(url, collection=_server_collection(settings, collection),
                                api_key=settings.server_api_key, k=k)
            converse(remote, write=write)
            return
        quiet_libraries()
        with make_rag(uri, collection, token, llm_backend=backend, llm_model=model, answer_k=k) as rag:
            rag.open_existing()  # a missing collection fails before the first prompt
            rag.prepare()  # the models load, and Milvus reads its BM25 index, while the first question is typed
            converse(rag, write=write)

    run(body, libraries=False)  # quieted in body when it loads them: a server's client imports none


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
        verdict = make_rag(None, None).screen(text, role=role, question=question)
        if as_json:
            out.print(json.dumps(verdict.to_dict(), ensure_ascii=False), markup=False)
        else:
            out.print(verdict.describe(), markup=False)
        if verdict.error and not verdict.safe:
            raise typer.Exit(2)

    run(body)


DEMO_QUESTION = "What happens if an ingest is killed halfway through?"
NEXT_STEPS = """
Next, with your own documents:
  saferag ingest ./my-docs             # folders, files or URLs: HTML, Markdown, PDF, Office, e-mail...
  saferag ask "How do I ...?"          # one question, with sources
  saferag chat                         # a conversation with follow-up questions
  saferag serve                        # the HTTP API (OpenAI-compatible) and a web chat page
  saferag demo "another question"      # ask saferag's own docs something else"""


def demo(
    question: Annotated[str, typer.Argument(help="what to ask saferag's own docs")] = DEMO_QUESTION,
    uri: Uri = None, as_json: Json = False,
) -> None:
    """Ingest saferag's own documentation (shipped with the package; the README and user docs, into the collection
    saferag_demo, which keeps nothing else) and answer a question from it, with sources. Offline: the embedder and
    the LLM ship as Python packages."""
    from saferag.demo import demo_files

    def body():
        rag = make_rag(uri, "saferag_demo")
        report = rag.ingest([str(p) for p in demo_files()], prune=True)
        if not as_json:
            out.print(f"Ingested {report.documents} documents of saferag's docs into collection "
                      f"'saferag_demo' at {rag.settings.milvus_uri} ({report.chunks_written} chunks written, "
                      f"{report.unchanged} unchanged, {report.seconds:.1f}s).\n", markup=False)
            out.print(f"[bold]Q: {question}[/bold]")
        # Greedy: a demo should give the same answer to the same question every time it is run.
        params = dataclasses.replace(sampling_from(rag.settings), temperature=0.0, seed=0)
        answer = rag.ask(question, on_token=None if as_json else print_piece, params=params)
        if as_json:
            out.print(json.dumps({"ingest": report.to_dict(), "question": question, **answer.to_dict()},
                                 ensure_ascii=False), markup=False)
            return
        if answer.refused:  # nothing was streamed: the refusal and the verdict that made it, as `ask` shows them
            out.print(answer.answer, markup=False)
            print_verdict(answer.guard)
        else:
            out.print()
            print_sources(answer)
        out.print(NEXT_STEPS, markup=False)

    run(body)
