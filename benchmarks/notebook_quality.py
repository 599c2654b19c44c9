"""Retrieval over Jupyter notebooks: their saved outputs read (the reader's default) or cleared (rule N1).

  python -m benchmarks.notebook_quality --corpus pdsh=PATH --corpus hom=PATH [--uri nb.db] [--arms kept,clear]

The corpora are two public books kept as notebooks, each with a question set written blind for this benchmark
(``benchmarks/data/{pdsh,hom}_qa.jsonl``):
- ``pdsh``: the ``notebooks/`` folder of jakevdp/PythonDataScienceHandbook at d66231454ef7 (2nd edition; prose
  with code, 70 notebooks);
- ``hom``: the top folder of ageron/handson-ml3 at e3f3f9e66d58 (28 notebooks, mostly code with saved outputs).
Each corpus is copied twice: as it is (``kept``), and with every code cell's outputs and execution count
cleared by nbformat (``clear``: what ``jupyter nbconvert --clear-output`` writes, so the reader sees no output),
and each copy is ingested into its own collection of a fresh Milvus Lite file.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.rst_quality import score
from saferag.evaluate import load_qa

HERE = Path(__file__).resolve().parent


def copy_notebooks(src: Path, dest: Path, *, clear: bool) -> None:
    """Every ``*.ipynb`` directly under ``src`` written to ``dest``, with its outputs cleared when ``clear``."""
    import nbformat

    dest.mkdir(parents=True)
    for f in sorted(src.glob("*.ipynb")):
        if not clear:
            (dest / f.name).write_bytes(f.read_bytes())
            continue
        nb = nbformat.read(f, as_version=nbformat.NO_CONVERT)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, dest / f.name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", action="append", required=True, help="name=folder (pdsh, hom)")
    ap.add_argument("--uri", default="")
    ap.add_argument("--modes", default="hybrid,dense,bm25")
    ap.add_argument("--arms", default="kept,clear")
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()
    print(f"{'set':8} {'arm':6} {'mode':7} {'n':>3} {'hit@1':>6} {f'hit@{args.k}':>6} {'MRR':>6}  ingest")
    with tempfile.TemporaryDirectory() as tmp:
        uri = args.uri or str(Path(tmp) / "nb.db")
        for spec in args.corpus:
            name, _, folder = spec.partition("=")
            items = load_qa(HERE / "data" / f"{name}_qa.jsonl")
            for arm in args.arms.split(","):
                copy = Path(tmp) / f"{name}-{arm}"
                copy_notebooks(Path(folder), copy, clear=arm == "clear")
                score(uri, name, arm, copy, items, args.modes, args.k)


if __name__ == "__main__":
    main()
