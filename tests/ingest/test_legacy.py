"""Legacy Office files and RTF (``ingest/formats/legacy.py``): .doc, .rtf, .xls and .ppt saved by LibreOffice
itself from the python-docx, openpyxl and python-pptx test files, converted back by LibreOffice in the real parse
worker, and ingested into real Milvus Lite with the real embedder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import format_writers as w
import pytest

from saferag.errors import DocumentError
from saferag.ingest.extract import Parser, to_documents
from saferag.ingest.formats.common import MACROS
from saferag.ingest.formats.legacy import read_legacy
from saferag.ingest.sources import DocumentRef, RawDocument, discover
from saferag.ingest.sources import read as read_ref

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_libreoffice = pytest.mark.skipif(
    SOFFICE is None, reason="needs LibreOffice (Debian: libreoffice-writer-nogui libreoffice-calc-nogui "
                            "libreoffice-impress-nogui)")
RTF = rb"{\rtf1\ansi{\fonttbl{\f0 Times;}}\f0 The night ferry leaves at eleven from pier four.\par}"


def libreoffice(src: Path, fmt: str, out: Path) -> Path:
    """``src`` saved by LibreOffice as ``fmt``, in ``out``."""
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation={(out / 'profile').as_uri()}",
                    "--convert-to", fmt, "--outdir", str(out), str(src)], check=True, capture_output=True, timeout=300)
    made = out / f"{src.stem}.{fmt}"
    if not made.is_file():
        pytest.skip(f"this LibreOffice cannot write .{fmt} (its Writer, Calc or Impress is not installed)")
    return made


@pytest.fixture(scope="module")
def legacy(tmp_path_factory) -> dict[str, bytes]:
    """policy.doc and policy.rtf (from the python-docx policy, by way of OpenDocument: LibreOffice's .doc export
    drops a python-docx table that has no width), budget.xls (openpyxl) and results.ppt (python-pptx)."""
    for module in ("docx", "openpyxl", "pptx"):
        pytest.importorskip(module)
    tmp = tmp_path_factory.mktemp("legacy")
    (tmp / "policy.docx").write_bytes(w.docx_bytes())
    (tmp / "budget.xlsx").write_bytes(w.xlsx_bytes())
    (tmp / "results.pptx").write_bytes(w.pptx_bytes())
    odt = libreoffice(tmp / "policy.docx", "odt", tmp / "odt")
    made = [libreoffice(odt, "doc", tmp), libreoffice(odt, "rtf", tmp),
            libreoffice(tmp / "budget.xlsx", "xls", tmp), libreoffice(tmp / "results.pptx", "ppt", tmp)]
    return {p.name: p.read_bytes() for p in made}


def read(data: bytes, name: str, parser: Parser | None = None):
    kind = name.rsplit(".", 1)[1]
    return to_documents(RawDocument(DocumentRef(name, name, kind), data, kind), parser=parser)[0]


@needs_libreoffice
def test_legacy_files_keep_headings_tables_sheets_and_slides(legacy):
    with Parser() as parser:
        doc, rtf, xls, ppt = (read(legacy[n], n, parser)
                              for n in ("policy.doc", "policy.rtf", "budget.xls", "results.ppt"))
    for policy, kind in ((doc, "doc"), (rtf, "rtf")):
        assert (policy.kind, policy.title) == (kind, "Travel policy")
        assert [(h.level, h.text) for h in policy.headings] == [(1, "Travel policy"), (1, "Flights"),
                                                                (2, "Hotel rates")]
        assert w.DOCX in policy.text and "City: Oslo; Nightly cap: 2100; Currency: NOK" in policy.text.splitlines()
    assert xls.kind == "xls" and [h.text for h in xls.headings] == ["Budget", "Staff"]
    assert "Team: Research; Quarter: Q2; Budget: 3400.5; Starts: 2024-04-01" in xls.text.splitlines()
    assert xls.location(xls.text.index("Alice Moreau")) == {"sheet": "Staff"}
    assert ppt.kind == "ppt" and [h.text for h in ppt.headings] == ["Quarterly results", "Logistics incidents"]
    assert ppt.location(ppt.text.index(w.PPTX[1])) == {"slide": 2}  # the speaker notes of slide 2


@needs_libreoffice
def test_a_folder_of_legacy_files_is_ingested_and_bad_ones_reported(make_rag, tmp_path, legacy):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, data in legacy.items():
        (docs / name).write_bytes(data)
    (docs / "truncated.doc").write_bytes(legacy["policy.doc"][:9000])
    (docs / "memo.rtf").write_bytes(RTF)
    rag = make_rag()
    report = rag.ingest([str(docs)])
    assert report.documents == 5
    assert [(f["source"], f["reason"].split(" (")[0]) for f in report.failed] == [
        ("truncated.doc", "LibreOffice could not read this Word 97–2003 .doc file")]
    for sentence, source in ((w.DOCX, "policy"), (w.PPTX[0], "results.ppt"),
                             ("Who is the treasurer? Alice Moreau", "budget.xls"),
                             ("When does the night ferry leave?", "memo.rtf")):
        assert rag.search(sentence, k=1)[0].source.startswith(source), sentence
    hit = rag.search("Which slide counts the delayed shipments by region?", k=1)[0]
    assert (hit.source, hit.metadata["slide"], hit.metadata["kind"]) == ("results.ppt", 2, "ppt")


def test_without_libreoffice_the_package_to_install_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice on it
    with pytest.raises(DocumentError, match=r"through LibreOffice, which is not installed .*libreoffice-writer-nogui"):
        read_legacy("rtf")(RTF, "memo.rtf", 1 << 20)
    with pytest.raises(DocumentError, match=r"libreoffice-calc-nogui"):
        read_legacy("xls")(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "budget.xls", 1 << 20)


def test_what_a_file_is_told_before_converting():
    pytest.importorskip("docx")
    with pytest.raises(DocumentError, match=r"not a Word 97–2003 .doc file but a newer Office file.*name it .docx"):
        read_legacy("doc")(w.docx_bytes(), "policy.doc", 1 << 20)
    with pytest.raises(DocumentError, match=r"not an RTF file"):
        read_legacy("rtf")(b"The night ferry leaves at eleven.", "memo.rtf", 1 << 20)


@needs_libreoffice
def test_a_legacy_file_with_a_vba_project_is_refused_unconverted(legacy):
    # Crafted: a LibreOffice .doc with a VBA project's stream name in it, as Word writes for a file with macros
    # (no writer here can save Word 97 macros).
    data = legacy["policy.doc"] + "_VBA_PROJECT".encode("utf-16-le")
    with pytest.raises(DocumentError, match=MACROS.split("(")[0].strip()):
        read_legacy("doc")(data, "policy.doc", 1 << 20)


@needs_libreoffice
def test_a_field_that_includes_a_local_file_does_not_pull_it_into_the_text(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the launch code is 4242")
    rtf = (r'{\rtf1\ansi{\fonttbl{\f0 Times;}}\f0 Before the field. {\field{\*\fldinst INCLUDETEXT "'
           + str(secret) + r'"}{\fldrslt as last saved}} After the field.\par}').encode()
    doc = read_legacy("rtf")(rtf, "memo.rtf", 1 << 20)
    assert "Before the field. as last saved After the field." in doc.text and "4242" not in doc.text


@needs_libreoffice
@pytest.mark.parametrize("name", ["PasswordProtected.doc", "password.xls", "Password_Protected-hello.ppt"])
def test_a_password_protected_legacy_file_is_named_as_such(name):
    pytest.importorskip("olefile")
    data = (Path(__file__).resolve().parents[1] / "data" / "poi" / name).read_bytes()  # saved by Microsoft Office
    with pytest.raises(DocumentError, match=r"^password-protected .+ file \(encrypted\): save a copy without a pass"):
        read_legacy(name.rsplit(".", 1)[1])(data, name, 1 << 20)


@needs_libreoffice
def test_a_worker_killed_while_converting_leaves_nothing_behind(legacy, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the worker's temporary folder, so only its own are seen
    with Parser(timeout=0.6) as parser:  # LibreOffice takes about a second: killed mid-conversion
        with pytest.raises(DocumentError, match="parsing took longer"):
            read(legacy["results.ppt"], "results.ppt", parser)
    left = [p.name for p in tmp_path.iterdir()]
    # its profile, the half-done conversion and LibreOffice's own temporary files, all in one folder
    assert len(left) == 1 and left[0].startswith("saferag-soffice-")
    with Parser() as parser:
        assert w.DOCX in read(legacy["policy.doc"], "policy.doc", parser).text
        mine = [p.name for p in tmp_path.iterdir()]
    assert left[0] not in mine and len(mine) == 1  # the dead worker's folder is gone; the live one's is kept
    assert list(tmp_path.iterdir()) == []  # and removed when its worker exits


@needs_libreoffice
def test_an_excel_binary_workbook_is_read_with_its_sheets():
    data = (Path(__file__).resolve().parents[1] / "data" / "poi" / "sample.xlsb").read_bytes()  # saved by Excel
    with Parser() as parser:
        book = read(data, "sample.xlsb", parser)
    assert book.kind == "xlsb" and [h.text for h in book.headings] == ["Sheet1", "rich test", "Sheet3"]
    assert "Lorem: dolor; 111: 333" in book.text.splitlines()


def test_a_password_protected_xlsb_is_named_before_any_conversion(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no LibreOffice needed: the package check tells
    data = (Path(__file__).resolve().parents[1] / "data" / "poi" / "protected_passtika.xlsb").read_bytes()
    with pytest.raises(DocumentError, match=r"^password-protected .xlsb file \(encrypted\)"):
        read_legacy("xlsb")(data, "protected.xlsb", 1 << 20)


@needs_libreoffice
def test_templates_slide_shows_and_mail_attachments_in_legacy_formats_are_read(tmp_path, legacy):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("policy.doc", "results.ppt"):
        (tmp_path / name).write_bytes(legacy[name])
    libreoffice(tmp_path / "policy.doc", "dot", docs)  # a Word 97 template
    libreoffice(tmp_path / "results.ppt", "pps", docs)  # a PowerPoint 97 slide show
    (docs / "maintenance.eml").write_bytes(w.eml_bytes({"policy.doc": legacy["policy.doc"]}))
    refs = discover([str(docs)]).refs
    assert [(r.source, r.kind) for r in refs] == [("maintenance.eml", "eml"), ("policy.dot", "doc"),
                                                  ("results.pps", "ppt")]
    with Parser() as parser:
        mail, template, show = (to_documents(read_ref(r), parser=parser) for r in refs)
    assert [(d.source, d.kind) for d in mail] == [("maintenance.eml", "email"), ("maintenance.eml/policy.doc", "doc")]
    assert w.DOCX in mail[1].text and w.DOCX in template[0].text
    assert w.PPTX[0] in show[0].text and show[0].location(show[0].text.index(w.PPTX[1])) == {"slide": 2}
