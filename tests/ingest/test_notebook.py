"""Jupyter notebooks (``ingest/formats/notebook.py``): files written by nbformat, Jupyter's own writer (v4, and
v3 with worksheets), parsed in the real worker process and ingested into real Milvus Lite with the real embedder."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from saferag.errors import DocumentError
from saferag.ingest.extract import to_documents
from saferag.ingest.formats.notebook import MAX_OUTPUT
from saferag.ingest.sources import DocumentRef, RawDocument

pytestmark = pytest.mark.skipif(importlib.util.find_spec("nbformat") is None,
                                reason="the formats extra is not installed: pip install 'saferag[formats]'")

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def analysis() -> str:
    """A notebook as a data team keeps one: prose with headings, code, and every kind of output."""
    from nbformat import v4

    nb = v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                  "language": "python"},
                                   "language_info": {"name": "python", "version": "3.11.2"}})
    nb.cells = [
        v4.new_markdown_cell("# Churn analysis\n\nWhy customers of the lilac plan leave."),
        v4.new_markdown_cell("## Loading the data"),
        v4.new_code_cell("# read the export, not the live table\nimport pandas as pd\n"
                         "df = pd.read_csv('churn.csv')\ndf.shape",
                         outputs=[v4.new_output("stream", name="stderr", text="DtypeWarning: mixed types\n"),
                                  v4.new_output("execute_result", {"text/plain": "(48213, 12)"}, execution_count=1)]),
        v4.new_markdown_cell("## Findings\n\nCustomers leave after the **third** price rise."),
        v4.new_code_cell("print('monthly churn', rate)\nshow(table)",
                         outputs=[v4.new_output("stream", name="stdout",
                                                text="epoch 1: 10%\repoch 1: 100%\nmonthly churn 4.2%\n"),
                                  v4.new_output("display_data", {"text/html": "<table><tr><th>region</th>"
                                                                 "<th>churn</th></tr><tr><td>north</td>"
                                                                 "<td>7.9%</td></tr></table>"}),
                                  v4.new_output("display_data", {"image/png": PNG}),
                                  v4.new_output("error", ename="KeyError", evalue="'discount'",
                                                traceback=["\x1b[0;31mKeyError\x1b[0m: 'discount'"])]),
        v4.new_code_cell(""),  # an empty cell leaves no trace
        v4.new_raw_cell("Reviewed by the pricing team in March."),
    ]
    return v4.writes(nb)


def read(text: str | bytes, name: str = "analysis.ipynb"):
    data = text.encode() if isinstance(text, str) else text
    return to_documents(RawDocument(DocumentRef(name, name, "ipynb"), data, "ipynb"))[0]


def test_cells_read_as_markdown_with_headings_code_outputs_and_cell_marks():
    doc = read(analysis())
    assert (doc.kind, doc.title) == ("ipynb", "Churn analysis")
    assert [(h.level, h.text) for h in doc.headings] == [(1, "Churn analysis"), (2, "Loading the data"),
                                                         (2, "Findings")]  # "# read the export" is code
    text = doc.text
    assert "```python\n# read the export, not the live table\nimport pandas as pd" in text
    assert "```output\n(48213, 12)\n```" in text
    assert "epoch 1: 100%\nmonthly churn 4.2%" in text and "10%" not in text  # a redrawn line's last state
    assert "north" in text and "7.9%" in text and "<td>" not in text  # an HTML display as text
    assert "KeyError: 'discount'" in text and "\x1b" not in text
    for left_out in ("DtypeWarning", "iVBOR", "image/png"):
        assert left_out not in text
    assert text.endswith("Reviewed by the pricing team in March.")
    cells = {value: offset for offset, key, value in doc.marks if key == "cell"}
    assert sorted(cells) == [1, 2, 3, 4, 5, 7]  # cell 6 is empty
    assert text[cells[4]:].startswith("## Findings") and text[cells[7]:].startswith("Reviewed by")
    assert doc.location(text.index("monthly churn")) == {"cell": 5}


def test_an_old_v3_notebook_is_upgraded_and_read():
    from nbformat import v3

    ws = v3.new_worksheet(cells=[v3.new_text_cell("markdown", source="# Tide tables\n\nLow water at dawn."),
                                 v3.new_code_cell(input="tides.plot()", language="python",
                                                  outputs=[v3.new_output("stream", output_text="ok\n")])])
    nb = v3.new_notebook(worksheets=[ws], metadata=v3.new_metadata(name="tides"))
    doc = read(v3.writes_json(nb), "tides.ipynb")
    assert doc.title == "Tide tables" and "Low water at dawn." in doc.text
    assert "tides.plot()" in doc.text and "```output\nok\n```" in doc.text


def test_a_long_output_is_cut_and_says_how_long_it_was():
    from nbformat import v4

    log = "".join(f"step {i}: loss {1 / (i + 1):.4f}\n" for i in range(5000))
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# Training"),
                                v4.new_code_cell("fit()", outputs=[v4.new_output("stream", name="stdout", text=log)])])
    text = read(v4.writes(nb)).text
    out = text[text.index("```output"):]
    assert "step 0: loss 1.0000" in out and "step 4999" not in out
    assert len(out) < MAX_OUTPUT + 100 and f"({len(log.strip()):,} characters of output)" in out


def test_code_with_backtick_fences_cannot_end_its_block_early():
    from nbformat import v4

    source = 'readme = """\n```\n# Not a heading\n```\n"""'
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# Docs builder"), v4.new_code_cell(source)])
    doc = read(v4.writes(nb))
    assert [h.text for h in doc.headings] == ["Docs builder"]
    assert f"````\n{source}\n````" in doc.text  # no kernel named: no language


def test_a_cell_that_leaves_a_code_block_open_does_not_swallow_the_next_cells():
    from nbformat import v4

    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# Setup\n\nRun this:\n\n```bash\npip install lilac"),
                                v4.new_markdown_cell("## Results\n\nThe lilac plan wins.")])
    doc = read(v4.writes(nb))
    assert [h.text for h in doc.headings] == ["Setup", "Results"]
    assert "pip install lilac\n```\n\n## Results" in doc.text


def test_bad_notebooks_are_clear_errors():
    with pytest.raises(DocumentError, match="not a Jupyter notebook: the file is not JSON"):
        read('{"cells": [')
    with pytest.raises(DocumentError, match="not a Jupyter notebook"):
        read(json.dumps({"rows": [1, 2, 3]}))
    with pytest.raises(DocumentError, match="not a Jupyter notebook"):
        read(json.dumps({"nbformat": 9, "nbformat_minor": 0, "cells": []}))
    with pytest.raises(DocumentError, match="invalid UTF-8"):
        read(b'{"cells": "\xff\xfe"}')
    from nbformat import v4

    with pytest.raises(DocumentError, match="no text in document"):
        read(v4.writes(v4.new_notebook(cells=[v4.new_code_cell("")])))


def test_without_nbformat_the_extra_is_named(monkeypatch):
    from saferag.ingest.formats.notebook import read_ipynb

    data = analysis().encode()
    monkeypatch.setitem(sys.modules, "nbformat", None)
    with pytest.raises(DocumentError, match=r"pip install 'saferag\[formats\]'"):
        read_ipynb(data, "analysis.ipynb", 1 << 20)


def test_a_folder_of_notebooks_is_ingested_with_cells_in_hits(make_rag, tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "analysis.ipynb").write_text(analysis())
    (folder / "broken.ipynb").write_text('{"cells": [')
    rag = make_rag()
    report = rag.ingest([str(folder)])  # a folder walk finds .ipynb
    assert report.documents == 1
    assert report.failed == [{"source": "broken.ipynb", "reason": "not a Jupyter notebook: the file is not JSON"}]
    hit = rag.search("Which region had a churn rate of 7.9 percent?", k=1)[0]
    assert hit.source == "analysis.ipynb" and "north" in hit.text
    assert hit.headings == ["Findings"] and hit.metadata["kind"] == "ipynb"
    doc = read(analysis())
    assert hit.metadata["cell"] == doc.location(doc.text.index(hit.text))["cell"]  # the cell the chunk starts in
