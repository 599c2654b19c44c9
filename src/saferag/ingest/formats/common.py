"""What every format reader shares: the checks on a zip-based file before it is parsed, table rows as readable
lines, and the hint when the ``formats`` extra is missing."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

from saferag.errors import DocumentError
from saferag.ingest.document import Document, Mark
from saferag.ingest.headings import Heading, clean_heading

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 compound file: legacy Office, or an encrypted OOXML package
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")
MAX_ENTRIES = 50_000  # zip entries; an office file has tens to a few thousand
#: What a macro-enabled package holds: VBA (OOXML) or Basic / scripts (OpenDocument).
_MACRO_PARTS = re.compile(r"(^|/)vbaproject\.bin$|(^|/)vbadata\.xml$|^basic/.+|^scripts/.+", re.IGNORECASE)
MACROS = "contains macros; not ingested (macro-enabled files are a common malware carrier: save a copy without macros)"
_WS = re.compile(r"\s+")


#: The Latin typographic ligatures (U+FB00–U+FB06: ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ) as their letters. PDF writers that map a ligature
#: glyph to its presentation form (Chromium, Word and LibreOffice often do) leave "conﬁguration" in the text layer,
#: which neither a keyword nor the embedder's vocabulary matches to "configuration" (rule P7). Only these seven:
#: NFKC over the whole text would also rewrite superscripts, fractions and full-width forms.
_LIGATURES = str.maketrans({chr(c): unicodedata.normalize("NFKC", chr(c)) for c in range(0xFB00, 0xFB07)})


def unligature(text: str) -> str:
    """``text`` with the Latin typographic ligatures spelt out ("ﬁle" -> "file")."""
    return text.translate(_LIGATURES)


def line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line of ``text``, empty ones too, without its line break: how the PDF readers walk a
    page's extracted text (headings found as lines, running heads at a page's edges)."""
    spans, at = [], 0
    for part in text.split("\n"):
        spans.append((at, at + len(part)))
        at += len(part) + 1
    return spans


def need(module: str, what: str) -> ModuleType:
    """Import a reader's library, or say which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise DocumentError(f"reading {what} files needs the formats extra: pip install 'saferag[formats]'") from None


def open_package(data: bytes, label: str, max_bytes: int) -> zipfile.ZipFile:
    """Open a zip-based document (docx, pptx, xlsx, odt, odp, ods, epub) after the checks that need no parsing.

    Rejects, with a reason: encrypted Office files, legacy binary Office files under a new suffix, files that are
    not zips, archives whose entries expand past ``max_bytes`` (a zip bomb), and packages with macros.
    """
    if data[:8] == _OLE:
        if _ENCRYPTED_OOXML in data:
            raise DocumentError(f"password-protected {label} (encrypted): save a copy without a password")
        raise DocumentError(f"not a {label}: an old binary Office file (.doc, .xls, .ppt); save it in the new format")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise DocumentError(f"corrupt {label}: {exc}") from None
    if len(entries) > MAX_ENTRIES:
        raise DocumentError(f"{label} holds {len(entries)} files, over {MAX_ENTRIES}: not a document")
    total = sum(e.file_size for e in entries)
    if total > max_bytes:
        raise DocumentError(f"{label} expands to {total / 2**20:,.0f} MiB, over the {max_bytes / 2**20:g} MiB limit "
                            "(SAFERAG_MAX_DOCUMENT_MB): a zip bomb, or a document too large")
    if any(_MACRO_PARTS.search(e.filename) for e in entries):
        raise DocumentError(MACROS)
    return archive


def read_part(archive: zipfile.ZipFile, name: str, label: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise DocumentError(f"corrupt {label}: no {name}") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:  # Bad CRC-32, truncated data
        raise DocumentError(f"corrupt {label}: {exc}") from None


def one_line(text: Any) -> str:
    return _WS.sub(" ", str(text)).strip()


def cell_text(value: Any) -> str:
    """A spreadsheet cell as a person reads it: 1200 not 1200.0, 0.3 not 0.30000000000000004, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return one_line(value)


def row_line(headers: Sequence[str], values: Sequence[str]) -> str:
    """One table row as one line that names its columns: ``Name: Alice; Budget: 1200``."""
    parts = []
    for i, value in enumerate(values):
        if not value:
            continue
        head = headers[i] if i < len(headers) else ""
        parts.append(f"{head}: {value}" if head and head != value else value)
    return "; ".join(parts)


def table_lines(rows: Iterable[Sequence[str]]) -> list[str]:
    """A table (first non-empty row the header) as one readable line per row; a lone header row as itself."""
    lines: list[str] = []
    headers: list[str] | None = None
    for row in rows:
        values = [one_line(v) for v in row]
        if not any(values):
            continue
        if headers is None:
            headers = values
            continue
        if line := row_line(headers, values):
            lines.append(line)
    if headers is not None and not lines:
        lines.append("; ".join(v for v in headers if v))
    return lines


class TextBuilder:
    """Builds a document's text block by block, with the offsets of its headings and location marks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.headings: list[Heading] = []
        self.marks: list[Mark] = []
        self._pending: list[tuple[str, int | str]] = []

    def add(self, text: str, sep: str = "\n\n") -> int:
        """Append a block (``sep`` before it unless it is the first); return its offset, -1 if it was empty."""
        text = text.strip()
        if not text:
            return -1
        if self.parts:
            self.parts.append(sep)
            self.size += len(sep)
        start = self.size
        self.parts.append(text)
        self.size += len(text)
        self.marks.extend((start, key, value) for key, value in self._pending)
        self._pending.clear()
        return start

    def heading(self, text: str, level: int, anchor: str = "") -> None:
        name = clean_heading(text)
        start = self.add(name)
        if start >= 0:
            self.headings.append(Heading(start, level, name, anchor))

    def mark(self, key: str, value: int | str) -> None:
        """A location (slide, sheet, page) that starts with the next block added."""
        self._pending.append((key, value))

    def lines(self, lines: Iterable[str]) -> None:
        """Lines of one block (table rows), one per line."""
        first = True
        for line in lines:
            if self.add(line, "\n\n" if first else "\n") >= 0:
                first = False

    def document(self, source: str, kind: str, title: str, **extra: Any) -> Document:
        self.marks.extend((self.size, key, value) for key, value in self._pending)
        self._pending.clear()
        return Document(source, kind, "".join(self.parts), title.strip(), marks=self.marks,
                        headings=self.headings, **extra)
