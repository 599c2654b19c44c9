"""Which library should read Office, OpenDocument, EPUB, e-mail and CSV files? Measured on files written by each
format's own writer library (python-docx, python-pptx, openpyxl, odfpy, ebooklib, email, csv).

For each candidate and format: the share of the corpus' sentences found in the output (text), of table rows kept
on one line (rows) and with their column headers on that line (rows+hdr: what a chunk from the middle of a long
table needs), of headings kept as headings, the median time per file, and on long files (1,000 sections of four
sentences, 200 slides, 20,000 rows) the time and the extra peak memory of one conversion. ``scan`` is a page with
no text layer: its "text" is the share of its words that OCR read right. Then each candidate's install footprint:
the packages it adds to saferag's core install, their size on disk, and the core packages it would change.

Candidates run in their own virtual environments so that none disturbs saferag's: make each with the main venv's
packages visible (``echo $MAIN_SITE > $VENV/lib/python3.11/site-packages/zz_main.pth``) and
``$VENV/bin/pip install -c constraints.txt 'markitdown[docx,pptx,xlsx,outlook]'`` (or
``'unstructured[docx,pptx,xlsx,odt,epub,csv]'``, ``docling``), then::

    python -m benchmarks.formats --venv markitdown=/tmp/v_markitdown --venv unstructured=/tmp/v_unstructured \
        --venv docling=/tmp/v_docling

saferag's own readers and odfpy run in this interpreter (``pip install -e '.[formats]' odfpy``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.formats_corpus import FILES, FORMATS, LONG, make_corpus

TOPS = {"saferag": ["python-docx", "python-pptx", "openpyxl", "ebooklib", "pypdfium2", "lxml"],
        "odfpy": ["odfpy"], "markitdown": ["markitdown[docx,pptx,xlsx,outlook]"],
        "unstructured": ["unstructured[docx,pptx,xlsx,odt,epub,csv]"], "docling": ["docling"]}


# -- the candidates: file → (text, headings or None when the output has no heading markup) -------------------------

def _md_headings(md: str) -> list[str]:
    return [re.sub(r"^#+\s*", "", line).strip("* ") for line in md.splitlines() if line.startswith("#")]


def converter(name: str):
    """A function path → (text, headings), set up once (imports, models) before anything is timed."""
    if name == "saferag":
        from saferag.ingest import formats
        from saferag.ingest.extract import text_document
        from saferag.ingest.sources import KINDS

        def run(path: Path):
            kind = KINDS[path.suffix]
            data = path.read_bytes()
            docs = formats.read(kind, data, path.name, 1 << 30) if kind in formats.WORKER_KINDS \
                else [text_document(kind, data, path.name)]
            return docs[0].text, [h.text for h in docs[0].headings]
        return run
    if name == "odfpy":
        from odf import teletype
        from odf.opendocument import load
        from odf.table import TableCell, TableRow
        from odf.text import H, P

        def run(path: Path):
            if path.suffix not in (".odt", ".odp", ".ods"):
                raise NotImplementedError
            doc = load(str(path))
            heads = [teletype.extractText(h) for h in doc.getElementsByType(H)]
            if path.suffix == ".ods":
                lines = [" ".join(teletype.extractText(c) for c in r.getElementsByType(TableCell))
                         for r in doc.getElementsByType(TableRow)]
            else:
                lines = [teletype.extractText(p) for p in doc.getElementsByType(P)]
            return "\n".join(heads + lines), heads
        return run
    if name == "markitdown":
        from markitdown import MarkItDown

        md = MarkItDown()

        def run(path: Path):
            text = md.convert(str(path)).text_content
            return text, _md_headings(text)
        return run
    if name == "unstructured":
        from unstructured.partition.auto import partition

        def run(path: Path):
            els = partition(filename=str(path))
            return "\n\n".join(str(e) for e in els), [str(e) for e in els if e.category == "Title"]
        return run
    if name == "docling":
        from docling.document_converter import DocumentConverter

        conv = DocumentConverter()

        def run(path: Path):
            text = conv.convert(str(path)).document.export_to_markdown()
            return text, _md_headings(text)
        return run
    raise SystemExit(f"unknown candidate {name}")


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[*_`|#\\]", " ", text).lower().split())


def score(text: str, heads: list[str] | None, truth: dict) -> dict:
    flat = _norm(text)
    lines = [_norm(line) for line in text.splitlines()]
    out: dict = {}
    if truth["sentences"]:
        out["text"] = sum(_norm(s) in flat for s in truth["sentences"]) / len(truth["sentences"])
    if truth["rows"]:
        def on_line(row: list[str], extra: list[str]) -> bool:
            want = [_norm(v) for v in row + extra]
            return any(all(w in line for w in want) for line in lines)
        out["rows"] = sum(on_line(r, []) for r in truth["rows"]) / len(truth["rows"])
        out["rows+hdr"] = sum(on_line(r, truth["header"]) for r in truth["rows"]) / len(truth["rows"])
    if truth.get("words"):  # OCR: the share of the page's words read right
        got = set(re.findall(r"\w+", text.lower()))
        want = [w for word in truth["words"] for w in re.findall(r"\w+", word.lower())]
        out["text"] = sum(w in got for w in want) / len(want)
    if truth["headings"]:
        got = {_norm(h) for h in heads or []}
        out["headings"] = sum(_norm(h) in got for h in truth["headings"]) / len(truth["headings"])
    return out


def _timed(fn, path: Path, queue) -> None:
    """In a forked child: convert once, report seconds and peak resident memory above the start (MiB)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
        base = _status("VmRSS")
        t = time.perf_counter()
        text, heads = fn(path)
        queue.put(("ok", time.perf_counter() - t, (_status("VmHWM") - base) / 1024, text, heads))
    except NotImplementedError:
        queue.put(("n/a", 0, 0, "", None))
    except BaseException as exc:  # noqa: BLE001 - a candidate's failure is a result
        queue.put(("error", 0, 0, f"{type(exc).__name__}: {exc}"[:200], None))


def _status(key: str) -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(key + ":"))


def run_once(fn, path: Path, timeout: float = 300) -> tuple:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_timed, args=(fn, path, queue))
    proc.start()
    try:
        result = queue.get(timeout=timeout)
    except Exception:  # noqa: BLE001 - queue.Empty: too slow
        result = ("timeout", timeout, 0, "", None)
    proc.join(5)
    if proc.is_alive():
        proc.kill()
    return result


def measure(name: str, corpus: Path, core_site: str) -> dict:
    truth = json.loads((corpus / "truth.json").read_text())
    fn = converter(name)
    results: dict = {"formats": {}, "long": {}}
    for fmt in FORMATS:
        path = corpus / FILES[fmt]
        status, _, _, text, heads = run_once(fn, path)
        if status != "ok":
            results["formats"][fmt] = {"status": status if status != "error" else text}
            continue
        times = [run_once(fn, path)[1] for _ in range(3)]
        results["formats"][fmt] = {**score(text, heads, truth[fmt]), "ms": 1000 * statistics.median(times)}
    for fmt in LONG:
        status, secs, peak, text, _ = run_once(fn, corpus / f"long.{fmt}")
        results["long"][fmt] = {"s": secs, "mb": peak} if status == "ok" else {"status": status}
    results["footprint"] = footprint(TOPS[name], core_site)
    return results


# -- install footprint ----------------------------------------------------------------------------------------------

def footprint(tops: list[str], core_site: str) -> dict:
    """Packages the candidate adds beyond saferag's core install, their size, and the core packages it shadows."""
    from importlib import metadata

    from packaging.requirements import Requirement

    def closure(reqs: list[str]) -> set[str]:
        seen: set[str] = set()
        todo = [Requirement(r) for r in reqs]
        while todo:
            req = todo.pop()
            key = req.name.lower().replace("_", "-")
            try:
                dist = metadata.distribution(req.name)
            except metadata.PackageNotFoundError:
                continue
            extras_key = key + "[" + ",".join(sorted(req.extras)) + "]"
            if extras_key in seen:
                continue
            seen.add(extras_key)
            for sub in dist.requires or []:
                r = Requirement(sub)
                envs = [{"extra": e} for e in req.extras] or [{"extra": ""}]
                if r.marker is None or any(r.marker.evaluate(env) for env in envs):
                    todo.append(r)
        return {k.split("[")[0] for k in seen}

    core = closure([r for r in (metadata.requires("saferag") or []) if "extra ==" not in r]) | {"saferag"}
    added = closure(tops) - core
    size = 0
    for name in added:
        for f in metadata.distribution(name).files or []:
            size += f.size or 0
    main = {d.metadata["Name"].lower().replace("_", "-"): d.version for d in metadata.distributions(path=[core_site])}
    shadowed = sorted(f"{n} {main[n]}→{metadata.version(n)}" for n in closure(tops)
                      if n in main and main[n] != metadata.version(n) and n not in ("pip", "setuptools", "wheel"))
    return {"packages": len(added), "mb": size / 2**20, "changes_core": shadowed}


# -- the report -----------------------------------------------------------------------------------------------------

def table(all_results: dict[str, dict]) -> str:
    cols = ["text", "rows", "rows+hdr", "headings", "ms"]
    lines = ["| candidate | format | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for name, res in all_results.items():
        for fmt in FORMATS:
            r = res["formats"].get(fmt, {})
            if "status" in r:
                lines.append(f"| {name} | {fmt} | {r['status'][:60]} |" + " |" * (len(cols) - 1))
                continue
            cells = [f"{r[c]:.0f}" if c == "ms" else f"{r[c]:.2f}" if c in r else "" for c in cols]
            lines.append(f"| {name} | {fmt} | " + " | ".join(cells) + " |")
    lines += ["", "| candidate | " + " | ".join(f"long {f}: s / MiB" for f in LONG)
              + " | packages added | MiB on disk | changes to the core install |", "|---|" + "---|" * (len(LONG) + 3)]
    for name, res in all_results.items():
        longs = [f"{r['s']:.2f} / {r['mb']:.0f}" if "s" in r else r["status"][:30] for r in
                 (res["long"].get(f, {"status": "n/a"}) for f in LONG)]
        fp = res["footprint"]
        lines.append(f"| {name} | " + " | ".join(longs) + f" | {fp['packages']} | {fp['mb']:.0f} | "
                     + (", ".join(fp["changes_core"]) or "none") + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--venv", action="append", default=[], metavar="NAME=PATH",
                    help="a candidate (markitdown, unstructured, docling) and the venv it is installed in")
    ap.add_argument("--only", nargs="*", help="run just these of this interpreter's candidates (saferag, odfpy)")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--candidate", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--core-site", help=argparse.SUPPRESS)
    args = ap.parse_args()
    import sysconfig

    if args.candidate:  # a child in a candidate's venv
        print(json.dumps(measure(args.candidate, Path(args.corpus), args.core_site)))
        return
    core_site = sysconfig.get_paths()["purelib"]
    with tempfile.TemporaryDirectory(prefix="saferag-formats-") as tmp:
        corpus = Path(tmp)
        make_corpus(corpus)
        results = {}
        for name in args.only or ["saferag", "odfpy"]:
            results[name] = measure(name, corpus, core_site)
        for spec in args.venv:
            name, _, venv = spec.partition("=")
            out = subprocess.run([str(Path(venv) / "bin" / "python"), "-m", "benchmarks.formats", "--candidate", name,
                                  "--corpus", str(corpus), "--core-site", core_site], cwd=Path(__file__).parents[1],
                                 capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
            if out.returncode != 0:
                print(f"{name} failed:\n{out.stderr[-2000:]}", file=sys.stderr)
                continue
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    cpu = next((line.split(":", 1)[1].strip() for line in subprocess.run(["lscpu"], capture_output=True,
               text=True).stdout.splitlines() if line.startswith("Model name")), "unknown CPU")
    print(f"{dt.date.today().isoformat()}, {cpu}, {os.cpu_count()} cores\n")
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
