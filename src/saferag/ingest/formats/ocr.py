"""OCR for PDF pages without a text layer (each page rendered by pdfium, pypdfium2) and for images (``images.py``):
read by Tesseract's CLI.

Tesseract is optional (Debian ``tesseract-ocr`` plus a language pack such as ``tesseract-ocr-eng``); without it a
scanned PDF is reported as having no text layer, with the install hint. Pages are rendered and read one at a time
in grayscale at 300 dpi, capped at ``MAX_PIXELS``, so memory stays bounded however long the document is.
"""

from __future__ import annotations

import functools
import io
import math
import os
import shutil
import subprocess

from saferag.errors import DocumentError
from saferag.ingest.formats.common import need

DPI = 300
MAX_PIXELS = 40_000_000  # 40 MP, about A2 at 300 dpi: a poster-sized page is rendered at less than 300 dpi
INSTALL_HINT = "install tesseract-ocr to read scanned PDFs"


def tesseract() -> str | None:
    return shutil.which("tesseract")


@functools.lru_cache(maxsize=1)
def language() -> str:
    """English where its data is installed, else the first language Tesseract has."""
    exe = tesseract()
    if exe is None:
        return ""
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    langs = [line.strip() for line in out.splitlines()[1:] if line.strip() and line.strip() != "osd"]
    return "eng" if "eng" in langs else (langs[0] if langs else "")


def unavailable(what: str = "scanned PDFs") -> str:
    """Why OCR of ``what`` cannot run here ("" when it can); PDFs also need pdfium to render their pages."""
    if tesseract() is None:
        return INSTALL_HINT.replace("scanned PDFs", what)
    if not language():
        return f"install a Tesseract language pack (e.g. tesseract-ocr-eng) to read {what}"
    try:
        need("pypdfium2" if what == "scanned PDFs" else "PIL.Image", what.removesuffix("s"))
    except DocumentError as exc:
        return str(exc)
    return ""


def ocr_pages(data: bytes, indexes: list[int]) -> dict[int, str]:
    """The text Tesseract reads on each of the PDF's pages ``indexes`` (0-based)."""
    pdfium = need("pypdfium2", "scanned PDF")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise DocumentError(f"corrupt PDF: {exc}") from None
    out: dict[int, str] = {}
    try:
        for i in indexes:
            page = pdf[i]
            try:
                width, height = page.get_size()  # points
                scale = min(DPI / 72, math.sqrt(MAX_PIXELS / max(width * height, 1.0)))
                bitmap = page.render(scale=scale, grayscale=True)
                try:
                    image = bitmap.to_pil()
                    buf = io.BytesIO()
                    image.save(buf, format="PPM")  # uncompressed: no time spent encoding what is read at once
                finally:
                    bitmap.close()
            finally:
                page.close()
            out[i] = read_image(buf.getvalue())
    except pdfium.PdfiumError as exc:
        raise DocumentError(f"corrupt PDF: {exc}") from None
    finally:
        pdf.close()
    return out


def read_image(image: bytes) -> str:
    """Tesseract's text for one image (any format Leptonica reads)."""
    exe = tesseract()
    if exe is None:
        raise DocumentError(INSTALL_HINT)
    cmd = [exe, "stdin", "stdout", "--psm", "3"] + (["-l", language()] if language() else [])
    env = {**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")}
    try:
        res = subprocess.run(cmd, input=image, capture_output=True, env=env)
    except OSError as exc:
        raise DocumentError(f"cannot run tesseract: {exc}") from None
    if res.returncode != 0:
        raise DocumentError(f"tesseract failed: {res.stderr.decode(errors='replace').strip()[-300:]}")
    return res.stdout.decode("utf-8", "replace").replace("\f", "").strip()
