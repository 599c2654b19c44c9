"""Images read by Tesseract OCR: Pillow writes them (PNG, a two-page TIFF, a sideways JPEG with its EXIF
orientation); ingested into real Milvus Lite with the real embedder. Images in folders and attachments are read only
with ``ocr_images``; one named on its own always is."""

from __future__ import annotations

import importlib.util
import shutil

import format_writers as w
import httpx
import pytest

from saferag.ingest import formats

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None or importlib.util.find_spec("PIL") is None,
                                reason="tesseract (Debian tesseract-ocr) or Pillow (the formats extra) is missing")

NOTICE = "The east stairwell is closed for repainting until June."
INVOICE = ["Invoice 4471 is due on the first of March.", "Late payments incur a fee of two percent."]
PHOTO = "Visitors must sign in at the north reception desk."
RECEIPT = "Taxi fare from the airport was forty two euros."


def _folder(tmp_path):
    docs = tmp_path / "scans"
    docs.mkdir()
    (docs / "notice.png").write_bytes(w.text_image_bytes([[NOTICE]]))
    (docs / "invoice.tiff").write_bytes(w.text_image_bytes([[INVOICE[0]], [INVOICE[1]]], "TIFF"))
    (docs / "photo.jpg").write_bytes(w.text_image_bytes([[PHOTO]], "JPEG", sideways=True))
    good = w.text_image_bytes([[NOTICE]])
    (docs / "broken.png").write_bytes(good[: len(good) // 2])
    (docs / "blank.png").write_bytes(w.text_image_bytes([[]]))
    (docs / "trip.eml").write_bytes(w.eml_bytes({"receipt.png": w.text_image_bytes([[RECEIPT]])}))
    return docs


def test_images_in_folders_and_attachments_are_read_with_ocr_images(make_rag, tmp_path):
    docs = _folder(tmp_path)
    off = make_rag(collection="off")
    report = off.ingest([str(docs)])
    assert report.skipped == 5 and report.documents == 1 and not report.failed  # the message alone
    assert off.store.sources() == {"trip.eml"}

    rag = make_rag(collection="on", ocr_images=True)
    report = rag.ingest([str(docs)])
    reasons = {f["source"]: f["reason"] for f in report.failed}
    assert set(reasons) == {"broken.png", "blank.png"}
    assert reasons["broken.png"].startswith(("corrupt image", "not a readable image"))
    assert reasons["blank.png"] == "no text found in the image (OCR)"
    assert rag.store.sources() == {"notice.png", "invoice.tiff", "photo.jpg", "trip.eml", "trip.eml/receipt.png"}
    assert rag.search("Is the stairwell open?", k=1)[0].source == "notice.png"
    assert rag.search("Who has to sign in at reception?", k=1)[0].source == "photo.jpg"  # upright by its EXIF
    assert rag.search("How much was the taxi from the airport?", k=1)[0].source == "trip.eml/receipt.png"
    late = rag.search("What is the fee for late payment?", k=1)[0]
    assert late.source == "invoice.tiff" and late.text == "\n\n".join(INVOICE)  # both pages, in order


def test_each_page_of_a_tiff_is_a_page():
    doc = formats.read("image", w.text_image_bytes([[INVOICE[0]], [INVOICE[1]]], "TIFF"), "invoice.tiff", 50 << 20)[0]
    assert doc.kind == "image" and doc.metadata == {"ocr": True}
    assert doc.marks == [(0, "page", 1), (len(INVOICE[0]) + 2, "page", 2)]


def test_an_image_named_on_its_own_is_read(make_rag, tmp_path):
    image = tmp_path / "notice.png"
    image.write_bytes(w.text_image_bytes([[NOTICE]]))
    rag = make_rag()
    assert rag.ingest([str(image)]).documents == 1
    hit = rag.search("stairwell repainting", k=1)[0]
    assert hit.source == "notice.png" and NOTICE in hit.text and hit.metadata["kind"] == "image"


def test_an_uploaded_image_is_read(make_rag):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
    from server_helpers import serving

    rag = make_rag()  # ocr_images off: an upload is a file named on its own
    with serving(rag) as (url, _):
        report = httpx.post(f"{url}/v1/documents", timeout=120, files=[
            ("files", ("notice.png", w.text_image_bytes([[NOTICE]]), "image/png"))]).json()
        assert report["documents"] == 1 and not report["failed"]
        hit = httpx.post(f"{url}/v1/search", json={"query": "Is the stairwell open?", "k": 1}).json()["data"][0]
    assert hit["source"] == "notice.png" and NOTICE in hit["text"]
