"""Find the documents behind the paths and URLs a user names, and read their bytes.

A document's ``source`` is its path relative to the root it was found under (a file named on
its own is its own root, so its source is its file name), or its URL.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

import httpx

from saferag.errors import DocumentError, FetchError, InputNotFoundError

#: File suffix → document kind. Anything else is not ingested from a directory walk. Macro-enabled Office files
#: are found so that they are reported ("contains macros; not ingested"), not passed over in silence.
KINDS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown", ".mdx": "mdx",
         ".adoc": "asciidoc", ".asciidoc": "asciidoc", ".rst": "rst", ".rest": "rst",
         ".txt": "text", ".pdf": "pdf", ".csv": "csv", ".tsv": "csv",
         ".docx": "docx", ".pptx": "pptx", ".xlsx": "xlsx", ".odt": "odt", ".odp": "odp", ".ods": "ods",
         ".epub": "epub", ".eml": "eml", ".mbox": "mbox", ".msg": "msg", ".ipynb": "ipynb",
         ".doc": "doc", ".rtf": "rtf", ".xls": "xls", ".ppt": "ppt", ".xlsb": "xlsb",
         ".dot": "doc", ".xlt": "xls", ".pot": "ppt", ".pps": "ppt",  # 97–2003 templates and slide shows
         ".docm": "macro", ".dotm": "macro", ".xlsm": "macro", ".xltm": "macro", ".pptm": "macro", ".potm": "macro"}
#: Read as images by OCR (kind "image"): always when named on their own, in folders only with ``ocr_images``.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"})
USER_AGENT = "saferag"  # what fetches say they are, and the agent robots.txt is read for
_MARKUP = frozenset({"markdown", "mdx", "asciidoc", "rst", "csv"})  # text formats a suffix tells apart
_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"
_CONTENT_TYPES = {"text/html": "html", "application/xhtml+xml": "html", "text/markdown": "markdown",
                  "text/x-markdown": "markdown", "text/mdx": "mdx", "text/asciidoc": "asciidoc", "text/plain": "text",
                  "application/pdf": "pdf", "text/csv": "csv", "text/tab-separated-values": "csv",
                  f"{_OOXML}.wordprocessingml.document": "docx", f"{_OOXML}.presentationml.presentation": "pptx",
                  f"{_OOXML}.spreadsheetml.sheet": "xlsx", f"{_ODF}.text": "odt", f"{_ODF}.presentation": "odp",
                  f"{_ODF}.spreadsheet": "ods", "application/epub+zip": "epub", "message/rfc822": "eml",
                  "application/mbox": "mbox", "application/vnd.ms-outlook": "msg", "text/x-rst": "rst",
                  "application/x-ipynb+json": "ipynb", "application/msword": "doc", "application/rtf": "rtf",
                  "text/rtf": "rtf", "application/vnd.ms-excel": "xls", "application/vnd.ms-powerpoint": "ppt",
                  "application/vnd.ms-excel.sheet.binary.macroenabled.12": "xlsb",
                  **{f"image/{t}": "image" for t in ("png", "jpeg", "tiff", "gif", "bmp", "webp")}}


@dataclass(frozen=True)
class DocumentRef:
    """Where a document lives: a local file or an http(s) URL."""

    source: str
    location: str  # file path or URL
    kind: str | None  # a value of KINDS; None for a URL until its content type is known

    @property
    def is_url(self) -> bool:
        return is_url(self.location)


@dataclass(frozen=True)
class RawDocument:
    """A document's bytes and what they are."""

    ref: DocumentRef
    data: bytes
    kind: str
    charset: str | None = None  # declared by an HTTP Content-Type header


@dataclass
class Discovery:
    """What ``discover`` found: documents to read and files passed over as unsupported."""

    refs: list[DocumentRef]
    skipped: list[str]


def discover(inputs: list[str], glob: str | None = None, images: bool = False) -> Discovery:
    """Expand directories recursively (optionally filtered by ``glob``), keep files and URLs. Images in a folder are
    kept with ``images`` (``ocr_images``), passed over otherwise; an image named on its own is always kept.

    Raises ``InputNotFoundError`` for a path that does not exist, before anything is read.
    """
    refs: list[DocumentRef] = []
    skipped: list[str] = []
    check_inputs(inputs)
    for item in inputs:
        if is_url(item):
            refs.append(DocumentRef(source=item, location=item, kind=None))
            continue
        path = _local_path(item)
        if path.is_dir():
            for file in sorted(_walk(path)):
                rel = file.relative_to(path).as_posix()
                kind = kind_of(file.name, images)
                if kind is None or (glob and not _matches(rel, glob)):
                    skipped.append(rel)
                else:
                    refs.append(DocumentRef(source=rel, location=str(file), kind=kind))
        else:
            # A file named explicitly is read whatever its suffix; unknown suffixes as text.
            refs.append(DocumentRef(source=path.name, location=str(path),
                                    kind=kind_of(path.name, True) or "text"))
    return Discovery(refs=refs, skipped=skipped)


def upload_suffixes() -> list[str]:
    """The suffixes a file sent on its own may have: those a folder ingest reads (macro-enabled Office files are
    reported) and images, which a file named on its own is read as."""
    return sorted({k for k, kind in KINDS.items() if kind != "macro"} | IMAGE_SUFFIXES)


def kind_of(name: str, images: bool) -> str | None:
    """The kind a file name's suffix gives (an image's only with ``images``), None for a suffix saferag passes over."""
    suffix = PurePosixPath(name).suffix.lower()
    return KINDS.get(suffix) or ("image" if images and suffix in IMAGE_SUFFIXES else None)


def http_client(timeout: float) -> httpx.Client:
    """The HTTP client every fetch of the ingest uses: redirects followed, saferag's User-Agent."""
    return httpx.Client(follow_redirects=True, timeout=timeout, headers={"User-Agent": USER_AGENT})


def is_url(item: str) -> bool:
    """Whether an input names an http(s) URL (read over the network) rather than a local path or file:// URL."""
    return item.startswith(("http://", "https://"))


def check_inputs(inputs: list[str]) -> None:
    """Raise ``InputNotFoundError`` for the first local path that does not exist."""
    if not inputs:
        raise InputNotFoundError("nothing to ingest: name at least one file, folder or URL")
    for item in inputs:
        if not is_url(item) and not _local_path(item).exists():
            raise InputNotFoundError(f"no such file or directory: {item}")


def _local_path(item: str) -> Path:
    return Path(_file_url_path(item) if item.startswith("file://") else item).expanduser()


def read(ref: DocumentRef, *, timeout: float = 30.0, max_bytes: int = 100 << 20,
         client: httpx.Client | None = None) -> RawDocument:
    """Read a document's bytes; raise ``DocumentError`` with a reason a user can act on."""
    if ref.is_url:
        return _fetch(ref, timeout=timeout, max_bytes=max_bytes, client=client)
    try:
        size = os.path.getsize(ref.location)
        if size > max_bytes:
            raise DocumentError(f"file is {size / 2**20:.0f} MiB, over the {max_bytes / 2**20:.0f} MiB limit")
        with open(ref.location, "rb") as fh:
            data = fh.read()
    except PermissionError:
        raise DocumentError("permission denied") from None
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror or exc}") from None
    return RawDocument(ref=ref, data=data, kind=ref.kind or "text")


def _fetch(ref: DocumentRef, *, timeout: float, max_bytes: int, client: httpx.Client | None) -> RawDocument:
    own = client is None
    client = client or http_client(timeout)
    try:
        data, ctype = fetch_bytes(client, ref.location, max_bytes)
    finally:
        if own:
            client.close()
    mime, _, params = ctype.partition(";")
    by_suffix = KINDS.get(Path(urlparse(ref.location).path).suffix.lower())
    kind = _CONTENT_TYPES.get(mime.strip().lower()) or by_suffix
    if kind == "text" and by_suffix in _MARKUP:  # a raw file (GitHub's, a plain server's) says text/plain
        kind = by_suffix
    if kind is None:
        raise FetchError(f"unsupported content type {mime.strip() or 'unknown'!r}")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip('"').lower()
    return RawDocument(ref=ref, data=data, kind=kind, charset=charset)


def fetch_bytes(client: httpx.Client, url: str, max_bytes: int) -> tuple[bytes, str]:
    """The body of a GET of ``url`` (at most ``max_bytes``) and its Content-Type; ``FetchError`` saying why not."""
    try:
        with client.stream("GET", url) as resp:
            if resp.status_code >= 400:
                raise FetchError(f"HTTP {resp.status_code} from {url}")
            chunks, total = [], 0
            for chunk in resp.iter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise FetchError(f"response over the {max_bytes / 2**20:.0f} MiB limit")
                chunks.append(chunk)
            return b"".join(chunks), resp.headers.get("content-type", "")
    except httpx.TimeoutException:
        raise FetchError(f"timed out after {client.timeout.read or 0:g}s fetching {url}") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch {url}: {exc}") from None


def _walk(root: Path):
    """Regular files under ``root``, following no symlinked directories (no cycles)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith("."):
                yield Path(dirpath) / name


def _matches(rel: str, pattern: str) -> bool:
    return fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel.rsplit("/", 1)[-1], pattern)


def _file_url_path(url: str) -> str:
    return unquote(urlparse(url).path)
