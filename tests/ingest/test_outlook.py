"""Outlook messages (.msg): read, ingested with their attachments into real Milvus Lite with the real embedder.

Outlook wrote these files (Apache POI's test data, ``tests/data/README.md``): no library here writes .msg. The
e-mail with many recipients is written by the standard library's ``email``.
"""

from __future__ import annotations

import importlib.util
import shutil
from email.message import EmailMessage
from pathlib import Path

import pytest

from saferag.errors import DocumentError
from saferag.ingest.formats import read

POI = Path(__file__).parents[1] / "data" / "poi"
FUZZED = "clusterfuzz-testcase-minimized-POIHSMFFuzzer-4735011465854976.msg"
pytestmark = pytest.mark.skipif(importlib.util.find_spec("extract_msg") is None,
                                reason="the formats extra is not installed: pip install 'saferag[formats]'")


def _read(name: str, kind: str) -> list:
    return read(kind, (POI / name).read_bytes(), name, 50 << 20)


def test_outlook_messages_with_their_attachments_and_a_broken_one(make_rag, tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    for name in ("quick.msg", "attachment_msg_pdf.msg", "msgClassAppointment.msg", FUZZED):
        shutil.copy(POI / name, folder / name)
    (folder / "notes.msg").write_text("a text file that only has the suffix of an Outlook message\n")
    rag = make_rag()
    report = rag.ingest([str(folder)])
    reasons = {f["source"]: f["reason"] for f in report.failed}
    assert set(reasons) == {FUZZED, "notes.msg"}
    assert reasons[FUZZED].startswith("corrupt Outlook message: ")
    assert reasons["notes.msg"].startswith("not an Outlook message")
    # The three messages, the message attached to one of them and the PDF attached beside it.
    assert report.documents == 5
    assert rag.store.sources() == {"quick.msg", "attachment_msg_pdf.msg", "attachment_msg_pdf.msg/Test Attachment.msg",
                                   "attachment_msg_pdf.msg/smbprn.00009008.KdcPjl.pdf", "msgClassAppointment.msg"}
    hit = rag.search("quick brown fox jumps over the lazy dog", k=1, filter='source == "quick.msg"')[0]
    assert {k: hit.metadata[k] for k in ("subject", "sender", "date")} == {
        "subject": "Test the content transformer", "sender": "Kevin Roast",
        "date": "2007-06-14T09:42:53.500000+00:00"}
    assert "The quick brown fox jumps over the lazy dog" in hit.text
    attached = rag.search("Blah blah blah", k=5, filter='source like "attachment_msg_pdf.msg/%"')
    assert {h.source for h in attached} == {"attachment_msg_pdf.msg/Test Attachment.msg",
                                            "attachment_msg_pdf.msg/smbprn.00009008.KdcPjl.pdf"}


def test_an_appointment_keeps_its_place_and_times_and_an_html_only_body_is_read():
    meeting = _read("msgClassAppointment.msg", "msg")[0]
    assert meeting.kind == "email" and meeting.title == "Quick brown fox"
    for line in ("Location: under lazy dog", "Start: 2017-02-28T18:30:00+00:00", "End: 2017-02-28T19:00:00+00:00",
                 "This is a meeting to discuss jumping"):
        assert line in meeting.text
    html_only = _read("HTMLBodyBinary_UTF-8.msg", "msg")[0]
    assert html_only.text == "Subject: Subject öäü Subject\n\nHTML öäü"
    with pytest.raises(DocumentError, match="not an Outlook message"):
        read("msg", b"PK\x03\x04" + bytes(600), "zip.msg", 50 << 20)


def test_a_long_recipient_list_is_cut_at_a_separator():
    msg = EmailMessage()
    msg["Subject"], msg["From"] = "All hands", "CEO <ceo@example.org>"
    msg["To"] = ", ".join(f"Person {n} <person{n}@example.org>" for n in range(200))
    msg.set_content("The office closes early on Friday.")
    doc = read("eml", bytes(msg), "all.eml", 50 << 20)[0]
    to = next(line for line in doc.text.splitlines() if line.startswith("To: "))
    assert to.startswith("To: Person 0 <person0@example.org>, Person 1 ") and len(to) < 450
    shown = to.count("@")
    assert to.endswith(f", … ({200 - shown} more)")
    assert doc.text.endswith("The office closes early on Friday.")

