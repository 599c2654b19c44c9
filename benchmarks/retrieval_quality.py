"""Retrieval quality on every development set: hit@1, hit@k and MRR for each search mode.

  python -m benchmarks.retrieval_quality
      [--sets sqlite,postgres,git,node,apache,postfix,cmake,django,bind,knot,rsyslog,octave]
      [--option max_per_source=0 ...]

Each set is a corpus from Debian's documentation packages and a question file:

- ``sqlite``: ``sqlite3-doc``, ``../shared/eval/sqlite_qa.jsonl`` (25): fusion weights were tuned on it;
- ``postgres``: ``postgresql-doc-15``, ``../shared/eval/postgres_qa.jsonl`` (50): fusion weights were tuned on it;
- ``git``: ``git-doc`` (HTML pages only), ``benchmarks/data/git_qa.jsonl`` (91): written apart and never tuned on;
- ``node``, ``apache`` and ``postfix``: ``nodejs-doc`` (the Node.js 18 API pages), ``apache2-doc`` (the httpd 2.4
  manual) and ``postfix-doc`` (its HTML READMEs and manual pages), whose questions are every turn of
  ``conversations_node.jsonl`` (88), ``conversations_apache.jsonl`` (80) and ``conversations_postfix.jsonl`` (80)
  written out standalone, with their keys: written apart, never tuned on;
- ``cmake``: ``cmake-doc`` (the CMake 3.25 reference, Sphinx HTML), ``benchmarks/data/cmake_qa.jsonl`` (80, with
  keys naming the command, variable or property that answers): written blind on 2026-12-05 by a helper who saw no
  file of this repository, first used to judge answer rule A4;
- ``django``: ``python-django-doc`` (the Django 3.2 documentation, Sphinx HTML, release notes and highlighted source
  included as a user would ingest the folder), ``benchmarks/data/django_qa.jsonl`` (80 over 78 pages, keys naming the
  API, setting or command that answers): written blind on 2026-12-05 the same way, first used to judge guard rule AG7;
- ``bind``: ``bind9-doc`` (the BIND 9.18 Administrator Reference Manual: 18 long Sphinx pages, so a hit is a page),
  ``benchmarks/data/bind_qa.jsonl`` (60, securing and troubleshooting a name server: access lists, rate limiting,
  refusing clients, TSIG, DNSSEC), written blind on 2026-12-06 the same way; kept unread to judge the next answer
  check on security-administration prose, where AG6 and AG7 refused Postfix's answers.
- ``octave``: ``octave-doc`` (the GNU Octave manual: 2,892 Texinfo HTML pages, 2,320 of them redirects to the
  section that documents a function), ``benchmarks/data/octave_qa.jsonl`` (60 over 56 pages, keys naming the
  function or option), written blind on 2026-12-06 the same way to judge fusion rule F1
  (``benchmarks/retrieval_rules.md``).
- ``sqlalchemy`` and ``kea`` (not in the default ``--sets``): ``python-sqlalchemy-doc`` (SQLAlchemy 1.4, 224 Sphinx
  pages; ``benchmarks/data/sqlalchemy_qa.jsonl``, 60 questions) and ``kea-doc`` (the Kea 2.2 DHCP manual, 43 Sphinx
  pages; ``benchmarks/data/kea_qa.jsonl``, 50), written blind on 2026-12-07 by helpers who saw no file of this
  repository, to judge rule H3 (a site's name in page titles); also ``benchmarks.mixed_retrieval``'s corpora.
- ``werkzeug`` and ``cryptography`` (not in the default ``--sets``): ``python-werkzeug-doc`` (Werkzeug 2.2, 45
  questions over 28 pages) and ``python-cryptography-doc`` (pyca/cryptography 38, 50 over 33 pages): Python library
  API references in Sphinx, the nearest kind to the hidden sets' corpus, written blind on 2026-12-07 the same way
  to judge rule D1 (page vectors).
- ``tornado``, ``aiohttp`` and ``psycopg2`` (not in the default ``--sets``): ``python-tornado-doc`` (Tornado 6.2, 50
  questions over 31 pages; release notes ingested too), ``python-aiohttp-doc`` (aiohttp 3.8, 50) and
  ``python-psycopg2-doc`` (psycopg2 2.9, 45 over 14 pages): Python library API references in Sphinx, written blind on
  2026-12-07 by helpers who saw no file of this repository, to judge rule S1 (no chunk spans two sections).

No set covers the Python library reference (``python3.11-doc``): it is the corpus of the issues' hidden questions,
which issue 15 asks to keep unseen for quality work (no questions of our own over it); it stays the ingest-speed
and search-latency corpus.

Every corpus is ingested into its own collection of one Milvus Lite file (re-runs skip unchanged pages).
``--option`` sets any saferag setting for the run (e.g. ``fusion=convex``, ``dense_weight=0.7``), so a setting
can be compared against the defaults on every set at once.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

from saferag import SafeRag
from saferag.evaluate import evaluate_retrieval, load_qa

HERE = Path(__file__).resolve().parent
EVAL = HERE.parent.parent / "shared" / "eval"
#: name → (docs folder, glob, questions, role)
SETS: dict[str, tuple[str, str | None, Path, str]] = {
    "sqlite": ("/usr/share/doc/sqlite3", None, EVAL / "sqlite_qa.jsonl", "tuned on"),
    "postgres": ("/usr/share/doc/postgresql-doc-15/html", None, EVAL / "postgres_qa.jsonl", "tuned on"),
    "git": ("/usr/share/doc/git-doc", "*.html", HERE / "data" / "git_qa.jsonl", "never tuned on"),
    "node": ("/usr/share/doc/nodejs/api", "*.html", HERE / "data" / "conversations_node.jsonl", "never tuned on"),
    "apache": ("/usr/share/doc/apache2-doc/manual/en", "*.html", HERE / "data" / "conversations_apache.jsonl",
               "never tuned on"),
    "postfix": ("/usr/share/doc/postfix/html", "*.html", HERE / "data" / "conversations_postfix.jsonl",
                "never tuned on"),
    "cmake": ("/usr/share/doc/cmake-doc/html", "*.html", HERE / "data" / "cmake_qa.jsonl", "never tuned on"),
    "django": ("/usr/share/doc/python-django-doc/html", "*.html", HERE / "data" / "django_qa.jsonl", "never tuned on"),
    "bind": ("/usr/share/doc/bind9-doc/arm", "*.html", HERE / "data" / "bind_qa.jsonl", "never tuned on"),
    "knot": ("/usr/share/doc/knot-doc", "*.html", HERE / "data" / "knot_qa.jsonl", "never tuned on"),
    "rsyslog": ("/usr/share/doc/rsyslog-doc/html", "*.html", HERE / "data" / "rsyslog_qa.jsonl", "never tuned on"),
    "octave": ("/usr/share/doc/octave/octave.html", "*.html", HERE / "data" / "octave_qa.jsonl", "never tuned on"),
    "sqlalchemy": ("/usr/share/doc/python-sqlalchemy-doc/html", "*.html", HERE / "data" / "sqlalchemy_qa.jsonl",
                   "never tuned on"),
    "kea": ("/usr/share/doc/kea/html", "*.html", HERE / "data" / "kea_qa.jsonl", "never tuned on"),
    "werkzeug": ("/usr/share/doc/python-werkzeug-doc/html", "*.html", HERE / "data" / "werkzeug_qa.jsonl",
                 "never tuned on"),
    "cryptography": ("/usr/share/doc/python-cryptography-doc/html", "*.html",
                     HERE / "data" / "cryptography_qa.jsonl", "never tuned on"),
    "tornado": ("/usr/share/doc/python-tornado-doc/html", "*.html", HERE / "data" / "tornado_qa.jsonl",
                "never tuned on"),
    "aiohttp": ("/usr/share/doc/python-aiohttp-doc/html", "*.html", HERE / "data" / "aiohttp_qa.jsonl",
                "never tuned on"),
    "psycopg2": ("/usr/share/doc/python-psycopg2-doc/html", "*.html", HERE / "data" / "psycopg2_qa.jsonl",
                 "never tuned on"),
}
#: Sets run when ``--sets`` is not given: the newer ones judge a rule first and are named explicitly until then.
DEFAULT_SETS = "sqlite,postgres,git,node,apache,postfix,cmake,django,bind,knot,rsyslog,octave"


#: The Debian package that installs each corpus.
PACKAGES = {"sqlite": "sqlite3-doc", "postgres": "postgresql-doc-15", "git": "git-doc", "node": "nodejs-doc",
            "apache": "apache2-doc", "postfix": "postfix-doc", "cmake": "cmake-doc",
            "django": "python-django-doc", "bind": "bind9-doc", "knot": "knot-doc", "rsyslog": "rsyslog-doc",
            "octave": "octave-doc", "sqlalchemy": "python-sqlalchemy-doc", "kea": "kea-doc",
            "werkzeug": "python-werkzeug-doc", "cryptography": "python-cryptography-doc",
            "tornado": "python-tornado-doc", "aiohttp": "python-aiohttp-doc", "psycopg2": "python-psycopg2-doc"}


def installed(name: str, folder: str) -> bool:
    """Whether a corpus is on this machine; says which package to install when it is not."""
    if Path(folder).is_dir():
        return True
    print(f"# skipped {name}: {folder} is missing (apt install {PACKAGES.get(name, 'its docs')})", flush=True)
    return False


def opened_sets(names: str, uri: str, options: dict[str, object]) -> Iterator[tuple[str, str, Path, SafeRag]]:
    """Each installed set of ``names`` (comma-separated) as (name, role, question file, a SafeRag open on its
    collection in ``uri`` with ``options``), its corpus ingested first (re-runs skip unchanged pages); a corpus
    that is not installed is skipped with a note."""
    for name in names.split(","):
        folder, glob, qa, role = SETS[name]
        if not installed(name, folder):
            continue
        with SafeRag(milvus_uri=uri, collection=f"{name}_docs", **options) as rag:
            report = rag.ingest([folder], glob=glob)
            if report.chunks_written:
                print(f"# ingested {name}: {report.documents} documents, {report.chunks_written} chunks written "
                      f"in {report.seconds:.0f}s", flush=True)
            yield name, role, qa, rag


def questions(path: Path, *, keys: bool = False) -> list[dict]:
    """A set's questions: a question file's lines, or every turn of a conversation file written out standalone."""
    if not path.name.startswith("conversations"):
        return load_qa(path, keys=keys)
    return [{"question": t["standalone"], "source": t["source"], **({"key": t["key"]} if keys else {})}
            for t in conversation_turns(path)]


def conversation_turns(path: Path) -> list[dict]:
    """Every user turn of a conversation file (``benchmarks/data/conversations*.jsonl``), in order."""
    return [t for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
            for t in json.loads(line)["turns"]]


def parse_options(pairs: list[str]) -> dict[str, object]:
    """``key=value`` pairs as settings (values read as JSON where they parse, else as strings)."""
    options: dict[str, object] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default=DEFAULT_SETS)
    ap.add_argument("--uri", default=str(HERE / "eval_docs.db"))
    ap.add_argument("--modes", default="hybrid,dense,bm25")
    ap.add_argument("--option", action="append", default=[], help="a setting for this run, key=value")
    ap.add_argument("-k", type=int, default=5)
    ap.add_argument("--misses", action="store_true", help="print the questions each mode missed")
    args = ap.parse_args()
    options = parse_options(args.option)

    print(f"{'set':9} {'role':15} {'mode':7} {'n':>3} {'hit@1':>6} {f'hit@{args.k}':>6} {'MRR':>6}")
    for name, role, qa, rag in opened_sets(args.sets, args.uri, {"guard": "off", **options}):
        items = questions(qa)
        for mode in args.modes.split(","):
            r = evaluate_retrieval(rag, items, k=args.k, mode=mode)
            print(f"{name:9} {role:15} {mode:7} {r['n']:3d} {r['hit@1']:6.3f} {r[f'hit@{args.k}']:6.3f} "
                  f"{r['mrr']:6.3f}", flush=True)
            if args.misses:
                for q in r["misses"]:
                    print(f"    miss: {q}")


if __name__ == "__main__":
    main()
