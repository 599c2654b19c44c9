"""Images (photos and scans: .png, .jpg, .tif, …) read by Tesseract OCR, each page of a multi-page TIFF its own page.

Pillow decodes the image (any format it knows; its decompression-bomb limit refuses an image over ~180 megapixels),
turns it upright by its EXIF orientation (a phone photo is stored sideways), grays it and scales it to at most
``ocr.MAX_PIXELS``; Tesseract reads it (``ocr.read_image``). An image with no text found (a photo, a chart without
words) is reported, not stored empty. Reading images found in folders and e-mail attachments is opt-in
(``ocr_images``): a documentation tree holds screenshots and diagrams whose OCR would be slow and mostly noise.
"""

from __future__ import annotations

import io

from saferag.errors import DocumentError
from saferag.ingest.document import Document
from saferag.ingest.formats import ocr
from saferag.ingest.formats.common import TextBuilder, need

#: File suffixes read as images; the kind of all of them is "image".
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"})
MAX_PAGES = 500  # pages of a multi-page TIFF read; a fax or scan batch longer than that is cut, and says so
NO_TEXT = "no text found in the image (OCR)"


def read_image(data: bytes, source: str, max_bytes: int = 0) -> Document:
    """The text Tesseract reads in the image ``data``; a ``page`` mark per page where it has several (TIFF)."""
    if why := ocr.unavailable("images"):
        raise DocumentError(why)
    image_mod = need("PIL.Image", "image")
    from PIL import ImageOps, ImageSequence, UnidentifiedImageError

    try:
        image = image_mod.open(io.BytesIO(data))
        pages: list[str] = []
        cut = False
        # A TIFF's frames are pages; a GIF's or WebP's are an animation, whose first frame is the picture.
        frames = ImageSequence.Iterator(image) if image.format == "TIFF" else [image]
        for frame in frames:
            if len(pages) == MAX_PAGES:
                cut = True
                break
            pages.append(ocr.read_image(_prepared(ImageOps.exif_transpose(frame))))
    except (UnidentifiedImageError, image_mod.DecompressionBombError) as exc:
        raise DocumentError(f"not a readable image: {exc}") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or damaged data, as Pillow reports it
        raise DocumentError(f"corrupt image: {type(exc).__name__}: {exc}") from None
    if not any(text.strip() for text in pages):
        raise DocumentError(NO_TEXT)
    b = TextBuilder()
    for number, text in enumerate(pages, 1):
        if text.strip():
            if len(pages) > 1:
                b.mark("page", number)
            b.add(text.strip())
    metadata: dict[str, object] = {"ocr": True}
    if cut:
        metadata["pages_read"] = MAX_PAGES
    return b.document(source, "image", "", metadata=metadata)


def _prepared(frame) -> bytes:
    """The frame in grayscale, no larger than ``ocr.MAX_PIXELS``, as an uncompressed PPM for Tesseract."""
    gray = frame.convert("L")
    scale = (ocr.MAX_PIXELS / max(gray.width * gray.height, 1)) ** 0.5
    if scale < 1:
        gray = gray.resize((max(1, int(gray.width * scale)), max(1, int(gray.height * scale))))
    buf = io.BytesIO()
    gray.save(buf, format="PPM")
    return buf.getvalue()
