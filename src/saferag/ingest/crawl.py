"""Crawling: a web page input stands for the pages it leads to under its own folder, for sites without a sitemap.

From each http(s) page named (``--crawl N``, ``crawl_max_pages``), links are followed breadth first to pages of the
same scheme and host whose path lies under the start page's folder (``https://docs.example.com/guide/``), as a
documentation site's pages do, until N pages are found in all. robots.txt is honoured (``urllib.robotparser``, for
the agent ``saferag``; its Crawl-delay up to 10 s), fragments are dropped, and a link whose suffix names a file
saferag does not read (an image, a stylesheet, an archive) is not followed; a page met again under another
address (``guide/`` and ``guide/index.html``) is read once. Pages are fetched here only to find their links; the
ingest fetches each again to read it, so that crawling and reading stay one path with its own limits and reports.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urldefrag, urljoin, urlparse
from urllib.robotparser import RobotFileParser

import httpx

from saferag.errors import FetchError
from saferag.ingest.sitemaps import is_sitemap_url
from saferag.ingest.sources import KINDS, USER_AGENT, DocumentRef, fetch_bytes, http_client

MAX_ROBOTS = 512 << 10  # bytes of robots.txt read (Google reads 500 KiB)
MAX_DELAY = 10.0  # seconds: the longest Crawl-delay honoured between two pages of a site
_PAGE_SUFFIXES = frozenset({"", ".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx", ".jsp"})


@dataclass
class Crawl:
    """The refs to ingest, each start page followed by the pages found from it; the sites whose stored pages a
    prune must keep because their start page could not be read."""

    refs: list[DocumentRef]
    keep: set[str] = field(default_factory=set)


def crawl(refs: list[DocumentRef], *, max_pages: int, timeout: float = 30.0, max_bytes: int = 100 << 20) -> Crawl:
    """``refs`` with each web page followed by the pages it leads to (see the module docstring); at most
    ``max_pages`` pages found in all, the named ones not counted."""
    out = Crawl(list(refs))
    seen = {urldefrag(r.location)[0] for r in refs}
    pages: dict[str, str] = {}  # the digest of each HTML page fetched → its first address
    budget = max_pages
    with http_client(timeout) as client:
        robots: dict[str, RobotFileParser] = {}
        for start in [r for r in refs if r.is_url and not is_sitemap_url(r.location)]:
            scope = _folder(start.location)
            queue = deque([start.location])  # found, in scope, allowed, not yet read
            first = True
            while queue and (first or budget > 0):
                url = queue.popleft()
                if not first and _is_page(url):  # a site's Crawl-delay between two of its pages
                    time.sleep(min(MAX_DELAY, float(_robots(client, robots, url).crawl_delay(USER_AGENT) or 0)))
                try:
                    digest, links = _links(client, url, max_bytes)
                except FetchError:
                    digest, links = "", []  # reported when the ingest reads it
                    if first:
                        out.keep.add(scope.rstrip("/"))
                if digest in pages:
                    continue  # the same page under another address (guide/ and guide/index.html): read once
                if digest:
                    pages[digest] = url
                if not first:
                    out.refs.append(DocumentRef(source=url, location=url, kind=None))
                    budget -= 1
                first = False
                for link in links:
                    if link in seen or not link.startswith(scope) or not _readable(link):
                        continue
                    if _allowed(client, robots, link):
                        seen.add(link)
                        queue.append(link)
    return out


def _folder(url: str) -> str:
    """The start page's folder: what its crawl stays within."""
    base = urldefrag(url)[0].split("?", 1)[0]
    return base if base.endswith("/") else base.rsplit("/", 1)[0] + "/"


def _readable(url: str) -> bool:
    """Whether a link may lead to a page or a document saferag reads (by its path's suffix)."""
    suffix = PurePosixPath(urlparse(url).path).suffix.lower()
    return suffix in _PAGE_SUFFIXES or suffix in KINDS


def _is_page(url: str) -> bool:
    """Whether a link may lead to a web page (not a PDF or an Office file, which have no links to follow)."""
    return PurePosixPath(urlparse(url).path).suffix.lower() in _PAGE_SUFFIXES


def _links(client: httpx.Client, url: str, max_bytes: int) -> tuple[str, list[str]]:
    """The digest of the HTML page at ``url`` and its absolute http(s) links, without fragments; ("", []) for
    anything but HTML."""
    if not _is_page(url):
        return "", []  # a PDF or an Office file: read by the ingest, no links followed
    data, ctype = fetch_bytes(client, url, max_bytes)
    if "html" not in ctype.lower():
        return "", []
    digest = hashlib.sha256(data).hexdigest()
    from resiliparse.parse.html import HTMLTree

    document = HTMLTree.parse_from_bytes(data, "utf-8").document
    if document is None:
        return digest, []
    base = urljoin(url, next((b.getattr("href") or "" for b in document.query_selector_all("base[href]")), ""))
    links = []
    for anchor in document.query_selector_all("a[href]"):
        link = urldefrag(urljoin(base, (anchor.getattr("href") or "").strip()))[0]
        if urlparse(link).scheme in ("http", "https"):
            links.append(link)
    return digest, links


def _allowed(client: httpx.Client, robots: dict[str, RobotFileParser], url: str) -> bool:
    """What the site's robots.txt says of ``url`` for saferag; everything when it has none or it cannot be read."""
    return _robots(client, robots, url).can_fetch(USER_AGENT, url)


def _robots(client: httpx.Client, robots: dict[str, RobotFileParser], url: str) -> RobotFileParser:
    """The robots.txt of ``url``'s site, read once."""
    parts = urlparse(url)
    site = f"{parts.scheme}://{parts.netloc}"
    if site not in robots:
        parser = RobotFileParser()
        try:
            data, _ = fetch_bytes(client, f"{site}/robots.txt", MAX_ROBOTS)
            parser.parse(data.decode("utf-8", "replace").splitlines())
        except FetchError:  # none (404), or unreachable: nothing is forbidden
            parser.parse([])
        robots[site] = parser
    return robots[site]
