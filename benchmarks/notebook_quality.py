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

from pathlib import Path

from benchmarks.rst_quality import score_corpora


def copy_notebooks(src: Path, dest: Path, *, clear: bool) -> Path:
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
    return dest


def main() -> None:
    score_corpora("kept,clear", "nb.db",
                  lambda name, arm, folder, tmp: copy_notebooks(folder, tmp / f"{name}-{arm}", clear=arm == "clear"))


if __name__ == "__main__":
    main()
