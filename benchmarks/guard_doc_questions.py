"""The embedded guard's false positives on real documentation questions it never trained on.

  python -m benchmarks.guard_doc_questions [--show]

XSTest measures over-refusal on prompts built to look harmful; this measures the everyday case of a
documentation assistant: the questions of FAQs that Debian ships (SQLite, Valgrind, sed, XZ Utils,
zlib, procps, lsof, man-db, Perl modules), plus ``../shared/eval/sqlite_qa.jsonl``, the Node.js API, Apache
httpd and Postfix conversations of the follow-up benchmark (each turn as asked and as written out standalone), and
``doc_questions_stdlib.jsonl`` (160 standard-library questions in eight languages, written blind) and
``cmake_qa.jsonl``, ``django_qa.jsonl``, ``bind_qa.jsonl``, ``knot_qa.jsonl``, ``rsyslog_qa.jsonl`` and
``octave_qa.jsonl`` (80 CMake build, 80 Django, 60 each of BIND, Knot DNS and rsyslog administration and 60 GNU Octave
questions, written blind), and the SQLAlchemy, Kea, Werkzeug, cryptography, Tornado, aiohttp, psycopg2, notebook
(PDSH, HOM), Hugo, Astro and Jekyll sets (written blind on 2026-12-07).
None of them is in the guard's training rows (``scripts/guard_data.py`` reads Python's
FAQ and perlfaq only). Every one is benign, so every flag is a false positive. Two groups: FAQs whose flagged
questions were read while the guard was developed (so optimistic), and FAQs that were only ever counted. Prints the
count per source, and with ``--show`` the flagged questions of the first group.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
from pathlib import Path

from benchmarks.retrieval_quality import conversation_turns
from scripts.guard_data import pod_text
from scripts.guard_overlap import jsonl_questions

DOCS = Path("/usr/share/doc")
SQLITE_QA = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "sqlite_qa.jsonl"
DATA = Path(__file__).resolve().parent / "data"


def conversation_texts(name: str) -> list[str]:
    """A follow-up benchmark set's user turns, each as asked and as written out standalone."""
    return [t[key] for t in conversation_turns(DATA / f"conversations_{name}.jsonl")
            for key in ("question", "standalone")]


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", text))).strip()


def sqlite_faq() -> list[str]:
    """SQLite's FAQ lists its questions as links to anchors ``#q1``, ``#q2``, ..."""
    page = (DOCS / "sqlite3" / "faq.html").read_text(encoding="utf-8", errors="replace")
    found = [_clean(m.group(1)) for m in re.finditer(r'<a href="#q\d+">(.*?)</a>', page, re.S)]
    return [q for q in found if q.endswith("?")]


def valgrind_faq() -> list[str]:
    page = (DOCS / "valgrind" / "html" / "faq.html").read_text(encoding="utf-8", errors="replace")
    found = [_clean(m.group(1)) for m in re.finditer(r"<(?:dt|b|a)[^>]*>(.*?)</(?:dt|b|a)>", page, re.S)]
    return [re.sub(r"^\d+\.\d+\.\s*", "", q) for q in found if q.endswith("?") and len(q) > 15]


def text_faq(path: Path) -> list[str]:
    """Plain-text and POD FAQs: question lines, numbered ("2.1."), marked ("Q:", "=head2", "-") or flush left."""
    text = (gzip.open(path, "rt", encoding="utf-8", errors="replace").read() if path.suffix == ".gz"
            else path.read_text(encoding="utf-8", errors="replace"))
    out = []
    for line in text.splitlines():
        q = re.sub(r"^\s*(?:=(?:head|item)\d?\s+|Q[:.]\s*|\d+(?:\.\d+)*[.)]?\s+|[-*]\s+)", "", line).strip()
        q = pod_text(q)
        if q.endswith("?") and 15 < len(q) < 200 and q[0].isupper() and (q != line.strip() or line == line.lstrip()):
            out.append(q)
    return out


PERL = Path("/usr/share/perl/5.36.0")
# Looked at question by question while the 2026-11-22 guard was built (its flags were read): optimistic.
INSPECTED = {
    "sqlite FAQ": sqlite_faq,
    "valgrind FAQ": valgrind_faq,
    "sed FAQ": lambda: text_faq(DOCS / "sed" / "sedfaq.txt.gz"),
    "xz FAQ": lambda: text_faq(DOCS / "xz-utils" / "faq.txt.gz"),
    "sqlite_qa.jsonl": lambda: [json.loads(line)["question"] for line in SQLITE_QA.read_text().splitlines()],
}
# Only ever counted, never read: the fair number.
UNSEEN = {
    "zlib FAQ": lambda: text_faq(DOCS / "zlib1g-dev" / "FAQ.gz"),
    "procps FAQ": lambda: text_faq(DOCS / "procps" / "FAQ.gz"),
    "lsof FAQ": lambda: text_faq(DOCS / "lsof" / "00FAQ.gz"),
    "man-db FAQ": lambda: text_faq(DOCS / "man-db" / "FAQ"),
    "base-files FAQ": lambda: text_faq(DOCS / "base-files" / "FAQ"),
    "MakeMaker FAQ": lambda: text_faq(PERL / "ExtUtils" / "MakeMaker" / "FAQ.pod"),
    "libnet FAQ": lambda: text_faq(PERL / "Net" / "libnetFAQ.pod"),
    "IO::Compress FAQ": lambda: text_faq(PERL / "IO" / "Compress" / "FAQ.pod"),
    # written 2026-12-04 for the follow-up benchmark: each turn as asked and written out standalone
    "node conversations": lambda: conversation_texts("node"),
    "apache conversations": lambda: conversation_texts("apache"),
    "postfix conversations": lambda: conversation_texts("postfix"),
    # written 2026-12-05 blind, to judge guard rule 19: standard-library questions in eight languages (no Python)
    "stdlib questions": lambda: jsonl_questions(DATA / "doc_questions_stdlib.jsonl"),
    # written 2026-12-05 blind over the CMake 3.25 reference (80; ten sound alarming out of context), for answer rule A4
    "cmake questions": lambda: jsonl_questions(DATA / "cmake_qa.jsonl"),
    # written 2026-12-05 blind over the Django 3.2 documentation (80), for guard rule AG7
    "django questions": lambda: jsonl_questions(DATA / "django_qa.jsonl"),
    # written 2026-12-06 blind over the BIND 9 manual (60: securing a name server, blocking clients, rate limits)
    "bind questions": lambda: jsonl_questions(DATA / "bind_qa.jsonl"),
    # written 2026-12-06 blind over Knot DNS's and rsyslog's manuals (60 each, a half and a third on securing them)
    "knot questions": lambda: jsonl_questions(DATA / "knot_qa.jsonl"),
    "rsyslog questions": lambda: jsonl_questions(DATA / "rsyslog_qa.jsonl"),
    # written 2026-12-06 blind over the GNU Octave manual (60; eleven sound alarming: kill, signals, passwords)
    "octave questions": lambda: jsonl_questions(DATA / "octave_qa.jsonl"),
    # written 2026-12-07 blind for retrieval rules H3 and D1: SQLAlchemy (60), Kea DHCP (50), and two Python library
    # API references, Werkzeug (45) and pyca/cryptography (50: keys, ciphers, signatures, attacks named)
    "sqlalchemy questions": lambda: jsonl_questions(DATA / "sqlalchemy_qa.jsonl"),
    "kea questions": lambda: jsonl_questions(DATA / "kea_qa.jsonl"),
    "werkzeug questions": lambda: jsonl_questions(DATA / "werkzeug_qa.jsonl"),
    "cryptography questions": lambda: jsonl_questions(DATA / "cryptography_qa.jsonl"),
    # written 2026-12-07 blind for retrieval rule S1: three more Python library API references, Tornado (50),
    # aiohttp (50) and psycopg2 (45)
    "tornado questions": lambda: jsonl_questions(DATA / "tornado_qa.jsonl"),
    "aiohttp questions": lambda: jsonl_questions(DATA / "aiohttp_qa.jsonl"),
    "psycopg2 questions": lambda: jsonl_questions(DATA / "psycopg2_qa.jsonl"),
    # written 2026-12-07 blind for rule N1 over two notebook books (40 each), and for rule FM1 over the Hugo and
    # Astro documentation sites (50 each), and for rule SC1 over the Jekyll one (50)
    "pdsh questions": lambda: jsonl_questions(DATA / "pdsh_qa.jsonl"),
    "hom questions": lambda: jsonl_questions(DATA / "hom_qa.jsonl"),
    "hugo questions": lambda: jsonl_questions(DATA / "hugo_qa.jsonl"),
    "astro questions": lambda: jsonl_questions(DATA / "astro_qa.jsonl"),
    "jekyll questions": lambda: jsonl_questions(DATA / "jekyll_qa.jsonl"),
}


def questions(sources: dict) -> dict[str, list[str]]:
    """Each source's questions, deduplicated; a source missing on this machine is left out."""
    out = {}
    for name, read in sources.items():
        try:
            found = list(dict.fromkeys(q for q in read() if len(q) > 10))
        except OSError:
            continue
        if found:
            out[name] = found
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--show", action="store_true", help="print the flagged questions of the inspected FAQs")
    args = ap.parse_args()
    from saferag.guard.embedded import EmbeddingGuard

    guard = EmbeddingGuard()
    for group, sources in (("inspected", INSPECTED), ("unseen", UNSEEN)):
        total = flagged_total = 0
        for name, qs in questions(sources).items():
            p, probs = guard.score(qs, "user")
            flagged = [(q, s) for q, s, f in zip(qs, p, guard.decide(p, probs, "user"), strict=True) if f]
            total, flagged_total = total + len(qs), flagged_total + len(flagged)
            print(f"{name:24} {len(flagged):3d} of {len(qs):3d} flagged")
            if args.show and group == "inspected":  # the unseen ones stay unread
                for q, s in flagged:
                    print(f"    {s:.3f}  {q}")
        print(f"{group + ', all':24} {flagged_total:3d} of {total:3d} flagged: "
              f"false-positive rate {flagged_total / max(total, 1):.3f}\n")


if __name__ == "__main__":
    main()
