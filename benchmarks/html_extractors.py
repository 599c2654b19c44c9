"""Compare HTML-to-text libraries on documentation pages: quality against gold main text, and speed.

Gold: the text of Sphinx's ``div[role=main]`` in the Debian ``python3.11-doc`` pages, which holds
the article and none of the navigation, sidebar or footer. Quality is bag-of-words precision
(how little boilerplate leaks in) and recall (how much of the article survives), so an
extractor that keeps menus scores low precision and one that drops code or tables low recall.
Usage: python -m benchmarks.html_extractors [DIR] [--pages N]
"""

from __future__ import annotations

import argparse
import collections
import re
import statistics
import time
from pathlib import Path

import lxml.html

WORD = re.compile(r"\w+")


def gold_text(html: str) -> str:
    """Sphinx main-article text: the reference the extractors are scored against."""
    tree = lxml.html.fromstring(html)
    main = tree.xpath('//div[@role="main"]')
    for bad in main[0].xpath('.//a[@class="headerlink"]'):
        bad.drop_tree()
    return main[0].text_content()


def bow(text: str) -> collections.Counter[str]:
    return collections.Counter(w.lower() for w in WORD.findall(text))


def prf(pred: str, gold: str) -> tuple[float, float, float]:
    p, g = bow(pred), bow(gold)
    common = sum((p & g).values())
    prec = common / max(sum(p.values()), 1)
    rec = common / max(sum(g.values()), 1)
    return prec, rec, 2 * prec * rec / max(prec + rec, 1e-9)


def extractors() -> dict:
    out = {}
    import trafilatura

    out["trafilatura"] = lambda h: trafilatura.extract(
        h, include_tables=True, include_comments=False, favor_recall=True
    ) or ""
    out["trafilatura(precision)"] = lambda h: trafilatura.extract(h, include_tables=True) or ""
    import html_text

    out["html-text"] = html_text.extract_text
    from inscriptis import get_text

    out["inscriptis"] = get_text
    from resiliparse.extract.html2text import extract_plain_text

    out["resiliparse(main_content)"] = lambda h: extract_plain_text(h, main_content=True)
    from saferag.ingest.html import html_to_text

    out["saferag (resiliparse+fallback)"] = lambda h: html_to_text(h).text
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?", default="/usr/share/doc/python3.11/html/library")
    ap.add_argument("--pages", type=int, default=80)
    args = ap.parse_args()
    files = sorted(Path(args.dir).glob("*.html"))
    step = max(len(files) // args.pages, 1)
    files = files[::step][: args.pages]
    pages = [(f, f.read_text(encoding="utf-8", errors="replace")) for f in files]
    golds = [gold_text(h) for _, h in pages]
    print(f"{len(pages)} pages from {args.dir}")
    print(f"{'extractor':28} {'precision':>9} {'recall':>7} {'F1':>6} {'ms/page':>8}")
    for name, fn in extractors().items():
        t0 = time.perf_counter()
        texts = [fn(h) for _, h in pages]
        ms = (time.perf_counter() - t0) * 1000 / len(pages)
        scores = [prf(t, g) for t, g in zip(texts, golds, strict=True)]
        p, r, f = (statistics.mean(s[i] for s in scores) for i in range(3))
        print(f"{name:28} {p:9.3f} {r:7.3f} {f:6.3f} {ms:8.1f}")


if __name__ == "__main__":
    main()
