"""``saferag eval``: retrieval, guard and answer quality over labelled files."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from saferag.cli.common import Backend, Collection, Json, Mode, Model, Token, Uri, check_mode, err, make_rag, out, run


def eval_guard(
    file: Annotated[str, typer.Argument(help="CSV (prompt,label) or JSONL with labels safe/unsafe")],
    as_json: Json = False,
) -> None:
    """Precision, recall, F1 and false-positive rate of the guard, overall and per category."""

    def body():
        from saferag.evaluate import evaluate_guard, load_labeled

        result = evaluate_guard(make_rag(None, None), load_labeled(file))
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

    run(body)


def eval_retrieval(
    file: Annotated[str, typer.Argument(help='JSONL lines {"question": ..., "source": ...}')],
    k: Annotated[int, typer.Option("-k", min=1)] = 5, mode: Mode = None,
    filter: Annotated[str, typer.Option("--filter")] = "",
    uri: Uri = None, collection: Collection = None, token: Token = None, as_json: Json = False,
) -> None:
    """hit@1, hit@k and MRR of the expected source in the top-k results."""
    from saferag.evaluate import evaluate_retrieval, load_qa

    def body():
        rag = make_rag(uri, collection, token)
        res = evaluate_retrieval(rag, load_qa(file), k=k, mode=check_mode(mode) or rag.settings.search_mode,
                                 filter=filter)
        if as_json:
            out.print(json.dumps(res), markup=False)
            return
        out.print(f"n {res['n']}  mode {res['mode']}  hit@1 {res['hit@1']:.3f}  "
                  f"hit@{k} {res[f'hit@{k}']:.3f}  MRR {res['mrr']:.3f}", markup=False)
        for q in res["misses"]:
            out.print(f"  miss: {q}", markup=False)

    run(body)


def eval_answers(
    file: Annotated[str, typer.Argument(help='JSONL lines {"question", "source", "key": [strings]}')],
    k: Annotated[int | None, typer.Option("-k", min=1, help="passages per answer (default: answer_k)")] = None,
    backend: Backend = None,
    model: Model = None,
    uri: Uri = None, collection: Collection = None, token: Token = None, as_json: Json = False,
) -> None:
    """Ask every question and score the answers: source hit@k, key rate, valid citations, refusals, latency."""
    from saferag.evaluate import evaluate_answers, load_qa

    def body():
        rag = make_rag(uri, collection, token, llm_backend=backend, llm_model=model)
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
                  f"{pct(res['citations_valid'])}  opening mid-sentence {pct(res['mid_sentence'])}  "
                  f"latency p50 {res['latency_s']['p50']:.2f}s "
                  f"p95 {res['latency_s']['p95']:.2f}s  generation p50 {res['generation_s']['p50']:.2f}s",
                  markup=False)
        for r in res["answers"]:
            if not r["key_hit"]:
                why = "refused" if r["refused"] else "no key"
                out.print(f"  {why}: {r['question']}", markup=False)

    run(body)
