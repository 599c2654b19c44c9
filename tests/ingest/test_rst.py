"""reStructuredText: a Sphinx-style ``docs/`` folder read by docutils into sections (``ingest/formats/rst.py``),
parsed in the real worker process and ingested into real Milvus Lite with the real embedder. The files are written
by hand: RST's writer is a text editor."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from saferag.errors import DocumentError
from saferag.ingest.extract import to_documents
from saferag.ingest.sources import DocumentRef, RawDocument

pytestmark = pytest.mark.skipif(importlib.util.find_spec("docutils") is None,
                                reason="the formats extra is not installed: pip install 'saferag[formats]'")

GUIDE = """\
Backup & restore guide
======================

The ``vault`` tool keeps nightly copies of the archive. See :ref:`the restore steps <restore-label>` and
:func:`~vault.tools.compress_snapshot` for details; :program:`vault` is installed everywhere.

.. toctree::
   :maxdepth: 2

   install
   faq

Taking a snapshot
-----------------

.. function:: take_snapshot(path, *, retention=7)
   :noindex:

   Freeze the volume at *path*. Snapshots older than ``retention`` days are pruned by the purple janitor.

   .. versionadded:: 2.4
      The ``retention`` argument, see :class:`vault.Policy`.

.. note::

   Snapshots of encrypted volumes stay encrypted.

.. _restore-label:

Restoring files
~~~~~~~~~~~~~~~

Run ``vault restore --at 2024-01-01`` to bring back a whole tree.

.. code-block:: console

   $ vault restore --at 2024-01-01 /srv/data

.. autofunction:: vault.internal.secret_helper
"""


def read(text: str | bytes, name: str = "guide.rst"):
    data = text.encode() if isinstance(text, str) else text
    return to_documents(RawDocument(DocumentRef(name, name, "rst"), data, "rst"))[0]


def test_sections_definitions_and_anchors_like_a_sphinx_page():
    doc = read(GUIDE)
    assert (doc.kind, doc.title) == ("rst", "Backup & restore guide")
    found = [(h.level, h.text, h.anchor) for h in doc.headings]
    assert found == [(1, "Backup & restore guide", "backup-restore-guide"),
                     (2, "Taking a snapshot", "taking-a-snapshot"),
                     (7, "take_snapshot(path, *, retention=7)", "take-snapshot"),
                     (3, "Restoring files", "restoring-files")]
    at = {h.text: h.start for h in doc.headings}
    assert doc.text.index("Freeze the volume") > at["take_snapshot(path, *, retention=7)"]
    assert doc.text.index("vault restore --at") > at["Restoring files"]


def test_sphinx_roles_and_notes_keep_their_words_and_build_directives_leave_none():
    text = read(GUIDE).text
    assert "the restore steps" in text and "compress_snapshot" in text and "vault.tools" not in text
    assert "2.4 The retention argument, see vault.Policy." in " ".join(text.split())
    assert "Snapshots of encrypted volumes stay encrypted." in text
    assert "$ vault restore --at 2024-01-01 /srv/data" in text
    for markup in (":func:", ":ref:", "toctree", "maxdepth", "faq", ":noindex:", "secret_helper", ".. "):
        assert markup not in text, markup


def test_a_document_cannot_pull_in_other_files(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the launch code is 0000")
    (tmp_path / "rows.csv").write_text("name,code\nlaunch,0000\n")
    doc = read(f"""Notes
=====

Kept text.

.. include:: {secret}

.. raw:: html

   <p>raw launch code 0000</p>

.. csv-table:: Codes
   :file: {tmp_path / "rows.csv"}
""", name=str(tmp_path / "notes.rst"))
    assert "Kept text." in doc.text and "0000" not in doc.text


def test_bad_rst_is_a_clear_error_and_odd_markup_still_reads():
    with pytest.raises(DocumentError, match="invalid UTF-8"):
        read(b"Title\n=====\n\n\xff\xfe broken")
    odd = read("Title\n=====\n\nUnclosed *emphasis and `backquote and :unknown-role:`x` and\n\n.. weird-thing::\n")
    assert "Unclosed" in odd.text and odd.headings[0].text == "Title"


def test_without_docutils_the_extra_is_named(monkeypatch):
    from saferag.ingest.formats.rst import read_rst

    monkeypatch.setitem(sys.modules, "docutils", None)
    with pytest.raises(DocumentError, match=r"pip install 'saferag\[formats\]'"):
        read_rst(GUIDE.encode(), "guide.rst")


def test_a_docs_folder_of_rst_is_ingested_with_section_paths(make_rag, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.rst").write_text(GUIDE)
    (docs / "broken.rst").write_bytes(b"Broken\n======\n\n\xff\xfe")
    rag = make_rag()
    report = rag.ingest([str(docs)])  # a folder walk: .rst was passed over before
    assert report.documents == 1 and report.failed == [{"source": "broken.rst", "reason": "invalid UTF-8 at byte 15"}]
    hit = rag.search("Who prunes old snapshots?", k=1)[0]
    # the document's title heads every chunk already, so the path starts below it
    assert hit.source == "guide.rst" and hit.headings == ["Taking a snapshot", "take_snapshot(path, *, retention=7)"]
    assert hit.metadata.get("anchor") == "take-snapshot"
