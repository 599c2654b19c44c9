"""Legacy binary Office files (.doc, .xls, .ppt), Excel's binary workbooks (.xlsb) and RTF, converted by LibreOffice
to their Office Open XML counterparts and read by the same readers as .docx, .xlsx and .pptx, so headings, slides and
sheets are kept.

No maintained Python library reads Word 97 or PowerPoint 97 with their structure (antiword and catdoc give bare
text; xlrd reads only .xls; openpyxl no .xlsb), and LibreOffice is what teams already use to open them. The
conversion runs ``soffice --headless --convert-to`` in the parse worker, inside its deadline and memory cap (killed
with the worker); without LibreOffice such a file is reported with the package to install. A converted file keeps
the results its fields and links were saved with: LibreOffice does not fetch what they point to (a field including a
local file is tested), so a document cannot pull another file's text into the index.
"""

from __future__ import annotations

import atexit
import io
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from saferag.errors import DocumentError
from saferag.ingest.document import Document
from saferag.ingest.formats.common import MACROS, open_package

#: kind → (its suffix, the format LibreOffice converts it to, what the user calls it, the Debian package to install)
KINDS: dict[str, tuple[str, str, str, str]] = {
    "doc": (".doc", "docx", "Word 97–2003 .doc", "libreoffice-writer-nogui"),
    "rtf": (".rtf", "docx", "RTF", "libreoffice-writer-nogui"),
    "xls": (".xls", "xlsx", "Excel 97–2003 .xls", "libreoffice-calc-nogui"),
    "ppt": (".ppt", "pptx", "PowerPoint 97–2003 .ppt", "libreoffice-impress-nogui"),
    "xlsb": (".xlsb", "xlsx", "Excel binary .xlsb", "libreoffice-calc-nogui"),  # a zip, but no XML to read
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 compound file, as .doc, .xls and .ppt are
_VBA = "_VBA_PROJECT".encode("utf-16-le")  # the stream name of a VBA project in a compound file's directory
_PREFIX = "saferag-soffice-"
_home: Path | None = None  # this process's LibreOffice folder (``_workspace``)


def read_legacy(kind: str) -> Callable[[bytes, str, int], Document]:
    """The reader of one legacy kind: convert, then read the result as its Office Open XML counterpart."""
    suffix, target, label, package = KINDS[kind]

    def read(data: bytes, source: str, max_bytes: int) -> Document:
        _check(kind, data, label, max_bytes)
        try:
            converted = convert(data, suffix, target, label, package)
        except DocumentError:
            # Asked only now: Excel marks files saved with its built-in default password as encrypted too, and
            # LibreOffice opens those.
            if data[:8] == _OLE and _encrypted(kind, data):
                raise DocumentError(f"password-protected {label} file (encrypted): save a copy without a password"
                                    ) from None
            raise
        from saferag.ingest.formats import office, tables

        reader = {"docx": office.read_docx, "xlsx": tables.read_xlsx, "pptx": office.read_pptx}[target]
        doc = reader(converted, source, max_bytes)
        doc.kind = kind
        return doc

    return read


def convert(data: bytes, suffix: str, target: str, label: str, package: str) -> bytes:
    """``data`` (a file with ``suffix``) converted by LibreOffice to ``target`` ("docx", "xlsx", "pptx")."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise DocumentError(f"{label} files are read through LibreOffice, which is not installed "
                            f"(Debian: apt-get install {package}); or save the file as .{target}")
    home = _workspace()
    with tempfile.TemporaryDirectory(prefix="convert-", dir=home) as tmp:
        src = Path(tmp) / f"document{suffix}"
        src.write_bytes(data)
        try:
            run = subprocess.run([soffice, "--headless", "--norestore", "--nolockcheck", "--nodefault",
                                  f"-env:UserInstallation={(home / 'profile').as_uri()}",
                                  "--convert-to", target, "--outdir", tmp, str(src)],
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
                                 env={**os.environ, "TMPDIR": str(home)})  # its own temporary files: ours to remove
        except OSError as exc:
            raise DocumentError(f"could not run LibreOffice ({soffice}): {exc}") from None
        out = Path(tmp) / f"document.{target}"
        if run.returncode != 0 or not out.is_file():  # a file it cannot load still exits 0, with no output
            said = " ".join(line for line in (run.stderr + run.stdout).splitlines()
                            if "javaldx" not in line and line.strip())[-300:]
            raise DocumentError(f"LibreOffice could not read this {label} file (damaged, password-protected, not "
                                f"{label}, or a LibreOffice without {package})" + (f": {said}" if said else ""))
        return out.read_bytes()


def _check(kind: str, data: bytes, label: str, max_bytes: int) -> None:
    """What can be told before converting: the file is what its suffix says, and carries no macros."""
    if kind == "xlsb":
        open_package(data, ".xlsb file", max_bytes)  # the zip checks every Office package gets: macros, encryption
    elif kind == "rtf":
        if data.lstrip()[:5] != b"{\\rtf":
            raise DocumentError("not an RTF file: it does not start with {\\rtf")
    elif data[:4] == b"PK\x03\x04":
        raise DocumentError(f"not a {label} file but a newer Office file (a zip): name it "
                            f"{'.docx' if kind == 'doc' else '.xlsx' if kind == 'xls' else '.pptx'}")
    elif data[:8] == _OLE and _VBA in data:
        raise DocumentError(MACROS)
    # Anything else goes to LibreOffice, which also reads the formats before OLE2 (Word 2, Excel 2–4) and Word's
    # HTML saved as .doc, and says when it cannot.


def _encrypted(kind: str, data: bytes) -> bool:
    """Whether a 97–2003 compound file is password-protected, where each format says so: Word's FIB flag
    ``fEncrypted``, Excel's ``FILEPASS`` record right after the workbook's BOF, PowerPoint's ``EncryptedSummary``
    stream. LibreOffice would only say it could not load the file."""
    try:
        import olefile
    except ImportError:
        return False  # the formats extra is missing: LibreOffice's own failure is reported instead
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if kind == "doc" and ole.exists("WordDocument"):
                fib = ole.openstream("WordDocument").read(12)
                return len(fib) == 12 and bool(fib[11] & 0x01)
            if kind == "xls" and (book := next((s for s in ("Workbook", "Book") if ole.exists(s)), None)):
                head = ole.openstream(book).read(256)
                size = struct.unpack_from("<H", head, 2)[0] if len(head) >= 4 else len(head)
                return head[4 + size:6 + size] == b"\x2f\x00"
            if kind == "ppt":
                return bool(ole.exists("EncryptedSummary"))
    except Exception:  # noqa: BLE001 - a damaged container is LibreOffice's to judge; this check only names a cause
        return False
    return False


def _workspace() -> Path:
    """This process's folder for LibreOffice: its private profile (so neither a desktop session of the same user
    nor another worker is locked; building one costs seconds, so it is kept), each conversion's files and
    LibreOffice's own temporary files. A worker killed at its deadline cannot clean up, so the folders of processes
    that are gone are removed first."""
    global _home
    if _home is None:
        base = Path(tempfile.gettempdir())
        for stale in base.glob(f"{_PREFIX}*"):
            pid = stale.name.removeprefix(_PREFIX)
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
        _home = base / f"{_PREFIX}{os.getpid()}"
        shutil.rmtree(_home, ignore_errors=True)  # a reused process id's leftovers
        _home.mkdir(mode=0o700)
        atexit.register(shutil.rmtree, _home, True)
    return _home


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: its folder is not ours to remove
    return True
