"""Sitemaps: a URL input naming a site's ``sitemap.xml`` stands for every page it lists.

MkDocs, Docusaurus, Hugo, Jekyll (with its plugin) and Sphinx (with ``sphinx-sitemap``) publish one, so a whole
documentation site is ingested, and pruned (``--prune``), by its sitemap's address. The sitemaps.org protocol is
followed: a ``urlset`` lists pages, a ``sitemapindex`` lists sitemaps (one level), each file holds at most 50,000
entries, may be gzipped, and lists only pages of its own host; other entries are passed over. Parsed with the
standard library's ElementTree: expat (2.4 and later) refuses entity expansion bombs, fetches no external entity,
and every file is read within ``max_bytes``, so no library is needed beyond httpx.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from urllib.parse import urlparse
from xml.etree import ElementTree

import httpx

from saferag.errors import FetchError
from saferag.ingest.sources import DocumentRef, fetch_bytes, http_client

MAX_ENTRIES = 50_000  # the protocol's limit per sitemap file


@dataclass
class Expansion:
    """The refs to ingest with every sitemap replaced by its pages; the sitemaps that failed, and why; the sites
    whose stored pages a prune must keep because their sitemap could not be read."""

    refs: list[DocumentRef]
    failed: list[dict[str, str]] = field(default_factory=list)
    keep: set[str] = field(default_factory=set)


def is_sitemap_url(location: str) -> bool:
    """Whether a URL names an XML sitemap by the protocol's convention (``….xml`` or ``….xml.gz``)."""
    path = urlparse(location).path.lower()
    return path.endswith((".xml", ".xml.gz"))


def expand(refs: list[DocumentRef], *, timeout: float = 30.0, max_bytes: int = 100 << 20) -> Expansion:
    """``refs`` with each sitemap URL replaced by the pages it lists (in its order, each page once)."""
    if not any(r.is_url and is_sitemap_url(r.location) for r in refs):
        return Expansion(list(refs))
    out = Expansion([])
    seen = {r.location for r in refs if not (r.is_url and is_sitemap_url(r.location))}
    with http_client(timeout) as client:
        for ref in refs:
            if not (ref.is_url and is_sitemap_url(ref.location)):
                out.refs.append(ref)
                continue
            try:
                pages = _pages(client, ref.location, max_bytes)
            except FetchError as exc:
                out.failed.append({"source": ref.source, "reason": str(exc)})
                site = urlparse(ref.location)
                out.keep.add(f"{site.scheme}://{site.netloc}")
                continue
            for page in pages:
                if page not in seen:
                    seen.add(page)
                    out.refs.append(DocumentRef(source=page, location=page, kind=None))
    return out


def _pages(client: httpx.Client, url: str, max_bytes: int) -> list[str]:
    kind, locs = _read(client, url, max_bytes)
    if kind == "urlset":
        return _same_site(url, locs)
    pages: list[str] = []
    for child in _same_site(url, locs):  # a sitemap index: its sitemaps' pages, each sitemap read once
        child_kind, child_locs = _read(client, child, max_bytes)
        if child_kind == "urlset":
            pages.extend(_same_site(child, child_locs))
    return pages


def _read(client: httpx.Client, url: str, max_bytes: int) -> tuple[str, list[str]]:
    """("urlset" or "sitemapindex", the ``loc`` of each entry) of the sitemap at ``url``."""
    data, _ = fetch_bytes(client, url, max_bytes)
    if data[:2] == b"\x1f\x8b":  # gzipped, as the protocol allows
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(data, max_bytes)
        except zlib.error as exc:
            raise FetchError(f"{url} is not a readable gzipped sitemap: {exc}") from None
        if inflater.unconsumed_tail:
            raise FetchError(f"{url} expands past the {max_bytes / 2**20:.0f} MiB limit")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise FetchError(f"{url} is not a readable XML sitemap: {exc}") from None
    kind = root.tag.rsplit("}", 1)[-1]
    if kind not in ("urlset", "sitemapindex"):
        raise FetchError(f"{url} is XML but not a sitemap (its root is <{kind}>)")
    locs = [(loc.text or "").strip() for entry in root for loc in entry if loc.tag.rsplit("}", 1)[-1] == "loc"]
    return kind, [loc for loc in locs if loc][:MAX_ENTRIES]


def _same_site(sitemap: str, locs: list[str]) -> list[str]:
    """The http(s) entries on the sitemap's own scheme and host (the protocol's rule: a sitemap speaks for its site)."""
    site = urlparse(sitemap)
    return [loc for loc in locs if (u := urlparse(loc)).scheme == site.scheme and u.netloc == site.netloc]
