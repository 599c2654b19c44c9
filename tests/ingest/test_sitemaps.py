"""A site ingested and pruned by its sitemap, served by a real HTTP server on loopback, into real Milvus Lite."""

from __future__ import annotations

import gzip

from corpus import QUESTIONS

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def urlset(*locs: str) -> str:
    entries = "".join(f"<url><loc> {loc} </loc><lastmod>2026-11-30</lastmod></url>" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NS}">{entries}</urlset>'


def index(*locs: str) -> str:
    entries = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{NS}">{entries}</sitemapindex>'


def test_a_sitemap_stands_for_its_pages_and_prunes_them(make_rag, web_server, corpus):
    volcanoes, tcp = f"{web_server}/geology/volcanoes.html", f"{web_server}/networking/tcp.html"
    sourdough = f"{web_server}/kitchen/sourdough.md"
    (corpus / "pages.xml").write_text(urlset(volcanoes, tcp, volcanoes, f"{web_server}/missing.html",
                                             "https://elsewhere.example/x.html"))  # repeated, 404, off-site
    (corpus / "more.xml.gz").write_bytes(gzip.compress(urlset(sourdough).encode()))
    (corpus / "sitemap.xml").write_text(index(f"{web_server}/pages.xml", f"{web_server}/more.xml.gz",
                                              "https://elsewhere.example/sitemap.xml"))
    (corpus / "feed.xml").write_text('<?xml version="1.0"?><rss version="2.0"><channel/></rss>')
    (corpus / "broken.xml.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"not deflate data" * 4)  # a gzip header only
    rag = make_rag()
    report = rag.ingest([f"{web_server}/sitemap.xml", f"{web_server}/feed.xml", f"{web_server}/broken.xml.gz"])
    reasons = {f["source"]: f["reason"] for f in report.failed}
    assert report.documents == 3 and rag.store.sources() == {volcanoes, tcp, sourdough}
    assert "HTTP 404" in reasons[f"{web_server}/missing.html"]
    assert reasons[f"{web_server}/feed.xml"].endswith("is XML but not a sitemap (its root is <rss>)")
    assert "is not a readable gzipped sitemap" in reasons[f"{web_server}/broken.xml.gz"]
    assert set(reasons) == {f"{web_server}/missing.html", f"{web_server}/feed.xml", f"{web_server}/broken.xml.gz"}
    assert rag.search(QUESTIONS["networking/tcp.html"], k=1)[0].source == tcp

    # A page gone from the sitemap is pruned; a sitemap that cannot be read prunes nothing of its site.
    (corpus / "pages.xml").write_text(urlset(volcanoes))
    again = rag.ingest([f"{web_server}/sitemap.xml"], prune=True)
    assert again.pruned == [tcp] and again.unchanged == 2
    (corpus / "sitemap.xml").unlink()
    gone = rag.ingest([f"{web_server}/sitemap.xml"], prune=True)
    assert gone.pruned == [] and [f["source"] for f in gone.failed] == [f"{web_server}/sitemap.xml"]
    assert rag.store.sources() == {volcanoes, sourdough}
