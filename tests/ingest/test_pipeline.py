"""The ingest end to end on real Milvus Lite with the real embedder."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from corpus import QUESTIONS, TOPICS, write_corpus

from saferag.ingest.pipeline import is_complete


def all_chunks(rag) -> list[tuple[str, int, str, str]]:
    """Every stored chunk as (source, index, hash, text), sorted: the collection's exact content."""
    rows = rag.open_existing()._iterate("", ["source", "chunk_index", "doc_hash", "text"])
    return sorted((r["source"], r["chunk_index"], r["doc_hash"], r["text"]) for r in rows)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_paraphrased_questions_find_their_source(make_rag, corpus, mode):
    rag = make_rag()
    report = rag.ingest([str(corpus)])
    assert report.documents == 6 and not report.failed
    top1 = {src: rag.search(q, k=3, mode=mode)[0].source for src, q in QUESTIONS.items()}
    hits = sum(top1[s] == s for s in QUESTIONS)
    # Dense and hybrid find every paraphrase first; keyword-only BM25 must still get most.
    assert hits == len(QUESTIONS) if mode != "bm25" else hits >= 4, top1


def test_reingest_of_unchanged_files_writes_nothing(make_rag, corpus):
    rag = make_rag()
    first = rag.ingest([str(corpus)])
    before = all_chunks(rag)
    again = rag.ingest([str(corpus)])
    assert first.chunks_written == len(before) > 6
    assert (again.chunks_written, again.unchanged, again.documents) == (0, 6, 6)
    assert all_chunks(rag) == before


def test_changed_file_replaces_its_old_chunks(make_rag, corpus):
    rag = make_rag()
    rag.ingest([str(corpus)])
    target = corpus / "space" / "jupiter.txt"
    target.write_text("Saturn\n\nSaturn's rings are made of ice particles and rocky debris orbiting the planet.")
    report = rag.ingest([str(corpus)])
    assert (report.replaced, report.unchanged, report.chunks_written) == (1, 5, 1)
    rows = [r for r in all_chunks(rag) if r[0] == "space/jupiter.txt"]
    assert len(rows) == 1 and "rings are made of ice" in rows[0][3]
    assert rag.search("Which moons did Galileo discover?", k=1, filter='source == "space/jupiter.txt"')[0] \
        .text.startswith("Saturn")


def test_prune_removes_sources_that_are_gone(make_rag, corpus):
    rag = make_rag()
    rag.ingest([str(corpus)])
    (corpus / "garden" / "compost.md").unlink()
    kept = rag.ingest([str(corpus)])
    assert kept.pruned == [] and "garden/compost.md" in rag.open_existing().sources()
    pruned = rag.ingest([str(corpus)], prune=True)
    assert pruned.pruned == ["garden/compost.md"]
    assert "garden/compost.md" not in {r[0] for r in all_chunks(rag)}


def test_bad_files_are_reported_and_the_rest_is_ingested(make_rag, corpus):
    bad = {
        "empty.txt": b"",
        "binary.txt": b"\x7fELF\x02\x01\x01\x00\x00\x00binary",
        "latin1.md": b"na\xefve caf\xe9",
        "broken.html": b"<html><body><div><script>only()</script></div",
        "corrupt.pdf": b"%PDF-1.7\n%garbage\n1 0 obj << /Type /Catalog",
    }
    for name, data in bad.items():
        (corpus / name).write_bytes(data)
    unreadable = corpus / "locked.txt"
    unreadable.write_text("secret")
    unreadable.chmod(0)
    rag = make_rag()
    report = rag.ingest([str(corpus)])
    reasons = {f["source"]: f["reason"] for f in report.failed}
    expected = set(bad) | ({"locked.txt"} if not _is_root() else set())
    assert set(reasons) == expected, reasons
    assert reasons["empty.txt"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    assert "invalid UTF-8" in reasons["latin1.md"]
    assert "no text" in reasons["broken.html"]
    assert "corrupt PDF" in reasons["corrupt.pdf"]
    assert report.documents == 6 + _is_root()  # root reads the chmod-0 file anyway
    assert {r[0] for r in all_chunks(rag)} == set(TOPICS) | ({"locked.txt"} if _is_root() else set())


def _is_root() -> bool:
    import os

    return os.geteuid() == 0




def test_urls_are_fetched_and_unreachable_ones_reported(make_rag, web_server):
    from conftest import free_port

    rag = make_rag()
    page, pdf = f"{web_server}/networking/tcp.html", f"{web_server}/manuals/bicycle.pdf"
    dead = f"http://127.0.0.1:{free_port()}/gone.html"
    report = rag.ingest([page, pdf, f"{web_server}/missing.html", dead])
    assert report.documents == 2
    reasons = {f["source"]: f["reason"] for f in report.failed}
    assert "HTTP 404" in reasons[f"{web_server}/missing.html"]
    assert "cannot fetch" in reasons[dead]
    hit = rag.search(QUESTIONS["networking/tcp.html"], k=1)[0]
    assert hit.source == page and hit.metadata["title"] == "TCP handshake"
    assert rag.search(QUESTIONS["manuals/bicycle.pdf"], k=1)[0].source == pdf


def test_raw_markup_served_as_plain_text_is_read_by_its_suffix(make_rag, tmp_path):
    import http.server
    import threading

    (tmp_path / "guide.adoc").write_text("= Release Guide\n\n== Tagging\n\nTag a release with a signed tag.\n")
    (tmp_path / "notes.md").write_text("# Notes\n\n## Freeze\n\nThe code freezes a week before.\n")

    class Plain(http.server.SimpleHTTPRequestHandler):  # what GitHub's raw files and many servers answer
        def guess_type(self, path):
            return "text/plain; charset=utf-8"

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a, **kw: Plain(*a, directory=str(tmp_path),
                                                                                     **kw))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        rag = make_rag()
        assert rag.ingest([f"{base}/guide.adoc", f"{base}/notes.md"]).documents == 2
        adoc = rag.search("How do I tag a release?", k=1)[0]
        assert adoc.source == f"{base}/guide.adoc" and adoc.metadata["title"] == "Release Guide"
        assert adoc.metadata["headings"][-1] == "Tagging"
        assert rag.search("When does the code freeze?", k=1)[0].metadata["title"] == "Notes"
    finally:
        server.shutdown()
        server.server_close()


CRASH = textwrap.dedent("""
    import os, signal, sys
    from saferag import SafeRag
    from saferag.store import MilvusStore

    db, folder, kill_at, how = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    real_insert, calls = MilvusStore.insert, 0

    def insert(self, rows):
        global calls
        calls += 1
        if calls == kill_at:
            real_insert(self, rows[: len(rows) // 2])  # half of this batch lands, then we die
            print(f"crashing at insert {calls}", file=sys.stderr, flush=True)
            if how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            # Ctrl-C: Python's SIGINT handler raises KeyboardInterrupt at the next bytecode. Raising it
            # here pins it to the crash point: a real SIGINT was once lost in a clean-clone run under
            # pymilvus 2.6 on a loaded machine (exit 0, no traceback), cause not found.
            raise KeyboardInterrupt
        real_insert(self, rows)

    MilvusStore.insert = insert  # the crash point: everything else is the real pipeline
    ray = sys.argv[5] if len(sys.argv) > 5 else None  # "local": the stage on a Ray runtime of this process
    SafeRag(milvus_uri=db, collection="docs", ingest_batch_size=4).ingest([folder], ray=ray)
    print("finished without crashing")
""")


def crash_ingest(db: Path, folder: Path, kill_at: int, how: str, *ray: str) -> None:
    """Run the ingest (on Ray: ``ray`` = ``local``) in a child that dies at insert ``kill_at``; fail unless it died
    just there."""
    proc = subprocess.run([sys.executable, "-c", CRASH, str(db), str(folder), str(kill_at), how, *ray],
                          capture_output=True, text=True, timeout=300)
    assert f"crashing at insert {kill_at}" in proc.stderr, proc.stderr[-3000:]
    if how == "kill":
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    else:
        assert proc.returncode != 0 and "KeyboardInterrupt" in proc.stderr, proc.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("kill_at,how", [(1, "kill"), (3, "kill"), (2, "interrupt")])
def test_interrupted_first_ingest_recovers_exactly(make_rag, corpus, tmp_path, kill_at, how):
    clean = make_rag(str(tmp_path / "clean.db"), ingest_batch_size=4)
    clean.ingest([str(corpus)])
    expected = all_chunks(clean)

    db = tmp_path / "crashed.db"
    crash_ingest(db, corpus, kill_at, how)

    rag = make_rag(str(db), ingest_batch_size=4)
    rag.ingest([str(corpus)])
    assert all_chunks(rag) == expected


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", [1, 2, 3])
def test_interrupted_reingest_of_changed_files_loses_nothing(make_rag, corpus, tmp_path, kill_at):
    db = tmp_path / "crashed.db"
    first = make_rag(str(db), ingest_batch_size=4)
    first.ingest([str(corpus)])
    first.close()
    changed = {rel: (title, [p.replace(".", ", as the manual says.") for p in paras])
               for rel, (title, paras) in TOPICS.items()}
    write_corpus(corpus, changed)

    crash_ingest(db, corpus, kill_at, "kill")  # first.close() let this other process open the file

    rag = make_rag(str(db), ingest_batch_size=4)
    stored = rag.open_existing().chunks_of(list(TOPICS))
    for source in TOPICS:  # every document still has one whole version, old or new
        assert any(is_complete(stored[source], h) for h in {s.doc_hash for s in stored[source]}), source
    rag.ingest([str(corpus)])

    clean = make_rag(str(tmp_path / "clean.db"), ingest_batch_size=4)
    clean.ingest([str(corpus)])
    assert all_chunks(rag) == all_chunks(clean)


def test_progress_reports_each_document_once_when_done(make_rag, corpus):
    (corpus / "empty.md").write_bytes(b"")
    rag = make_rag(ingest_batch_size=2)
    totals, done = [], []
    written_at_callback = []

    def on_document(source):
        done.append(source)
        written_at_callback.append(source in rag.open_existing().sources() or source == "empty.md")

    rag.ingest([str(corpus)], on_start=totals.append, on_document=on_document)
    assert totals == [7] and sorted(done) == sorted([*TOPICS, "empty.md"])
    assert all(written_at_callback)  # a document is reported only once its chunks are stored
    done.clear()
    rag.ingest([str(corpus)], on_document=done.append)
    assert sorted(done) == sorted([*TOPICS, "empty.md"])
