"""A site crawled from one page, served by a real HTTP server on loopback, into real Milvus Lite."""

from __future__ import annotations

from corpus import pdf_bytes

PAGE = "<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{title} explains part of the tool in " \
       "enough words to be a page of its own.</p>{links}</body></html>"


def page(title: str, *links: str) -> str:
    return PAGE.format(title=title, links="".join(f'<a href="{href}">{href}</a>' for href in links))


def site(root, index_links):
    docs = root / "site" / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "private").mkdir()
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /site/docs/private/\n")
    (docs / "index.html").write_text(page("Index", *index_links))
    (docs / "guide.html").write_text(page("Guide", "index.html", "sub/deep.html#top"))
    (docs / "sub" / "deep.html").write_text(page("Deep", "/site/docs/extra.html", "../guide.html"))
    (docs / "extra.html").write_text(page("Extra"))
    (docs / "private" / "secret.html").write_text(page("Secret"))
    (docs / "manual.pdf").write_bytes(pdf_bytes("Manual", ["The manual is a PDF linked from the index page."]))
    (root / "site" / "outside.html").write_text(page("Outside"))
    (docs / "style.css").write_text("body { color: black }")


LINKS = ["guide.html", "guide.html#intro", "./", "sub/deep.html", "manual.pdf", "missing.html", "private/secret.html",
         "../outside.html", "https://elsewhere.example/page.html", "style.css", "mailto:docs@example.org"]


def test_a_page_leads_to_the_pages_under_its_folder(make_rag, web_server, corpus):
    site(corpus, LINKS)
    docs = f"{web_server}/site/docs"
    rag = make_rag()
    report = rag.ingest([f"{docs}/index.html"], crawl=20)
    assert rag.store.sources() == {f"{docs}/{p}" for p in ("index.html", "guide.html", "sub/deep.html", "extra.html",
                                                           "manual.pdf")}
    assert [(f["source"], f["reason"]) for f in report.failed] == [(f"{docs}/missing.html",
                                                                    f"HTTP 404 from {docs}/missing.html")]
    # docs/ is index.html again: read once. Without --crawl only the page named is read; with a budget of two,
    # the first two pages found.
    assert make_rag(collection="named").ingest([f"{docs}/index.html"]).documents == 1
    few = make_rag(collection="few")
    few.ingest([f"{docs}/index.html"], crawl=2)
    assert few.store.sources() == {f"{docs}/index.html", f"{docs}/guide.html", f"{docs}/sub/deep.html"}


def test_a_page_no_longer_linked_is_pruned_and_an_unreadable_start_prunes_nothing(make_rag, web_server, corpus):
    site(corpus, ["guide.html", "extra.html"])
    docs = f"{web_server}/site/docs"
    rag = make_rag()
    rag.ingest([f"{docs}/index.html"], crawl=10)
    assert rag.store.sources() == {f"{docs}/index.html", f"{docs}/guide.html", f"{docs}/extra.html",
                                   f"{docs}/sub/deep.html"}
    (corpus / "site" / "docs" / "index.html").write_text(page("Index", "extra.html"))
    again = rag.ingest([f"{docs}/index.html"], crawl=10, prune=True)
    assert again.pruned == [f"{docs}/guide.html", f"{docs}/sub/deep.html"]
    (corpus / "site" / "docs" / "index.html").unlink()
    gone = rag.ingest([f"{docs}/index.html"], crawl=10, prune=True)
    assert gone.pruned == [] and rag.store.sources() == {f"{docs}/index.html", f"{docs}/extra.html"}


def test_the_sites_crawl_delay_is_kept_between_its_pages(web_server, corpus):
    import time

    from saferag.ingest.crawl import crawl
    from saferag.ingest.sources import DocumentRef

    (corpus / "robots.txt").write_text("User-agent: saferag\nCrawl-delay: 1\n")
    chain = corpus / "chain"
    chain.mkdir()
    (chain / "index.html").write_text(page("Start", "a.html"))
    (chain / "a.html").write_text(page("A", "b.html"))
    (chain / "b.html").write_text(page("B"))
    start = f"{web_server}/chain/index.html"
    t0 = time.monotonic()
    found = crawl([DocumentRef(start, start, None)], max_pages=5)
    assert [r.source for r in found.refs] == [start, f"{web_server}/chain/a.html", f"{web_server}/chain/b.html"]
    assert time.monotonic() - t0 >= 2.0  # a.html and b.html each fetched a second after the page before
