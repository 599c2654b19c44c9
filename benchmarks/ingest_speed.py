"""Ingest speed: saferag alone on a folder, and side by side with LlamaIndex on the same pages.

Each pipeline runs in its own subprocess so its peak RSS is its own. Times exclude loading
the embedding model (the same model for both; its load time is printed separately).

  python -m benchmarks.ingest_speed                      # saferag, all 317 library pages
  python -m benchmarks.ingest_speed --pages 60 --llamaindex   # both, on the first 60 pages
  python -m benchmarks.ingest_speed --pages 60 --llamaindex --model PATH   # both with another embedder

The LlamaIndex side needs `llama-index-core llama-index-vector-stores-milvus
llama-index-embeddings-huggingface` in the same environment. It runs the common setup with the
same text, embedder and chunking: documents → SentenceSplitter(512 characters, 51 overlap) →
HuggingFaceEmbedding (the same packaged all-MiniLM-L6-v2, or ``--model``) → MilvusVectorStore (Milvus Lite).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DIR = "/usr/share/doc/python3.11/html/library"


def pick_pages(src: str, pages: int | None, dest: Path) -> int:
    """Copy the first ``pages`` HTML files (sorted) into ``dest``: both pipelines read the same set."""
    files = sorted(Path(src).glob("*.html"))[:pages]
    dest.mkdir(parents=True)
    for f in files:
        shutil.copy(f, dest / f.name)
    return len(files)


def worker_saferag(folder: str, db: str) -> dict:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from saferag import SafeRag

    t = time.perf_counter()
    rag = SafeRag(milvus_uri=db, collection="bench")
    precision = rag.embedder.precision
    load = time.perf_counter() - t
    report = rag.ingest([folder])
    return {"pipeline": f"saferag ({precision})", "model_load_s": load, "seconds": report.seconds,
            "embed_s": report.embed_seconds, "documents": report.documents, "chunks": report.chunks_written,
            "failed": len(report.failed)}


def worker_llamaindex(folder: str, db: str, raw_html: bool = False, token_chunks: bool = False) -> dict:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.milvus import MilvusVectorStore

    from saferag.embed import packaged_model_path

    t = time.perf_counter()
    # The model saferag runs (SAFERAG_EMBED_MODEL, set by --model), so both embed with the same weights.
    embed = HuggingFaceEmbedding(model_name=os.environ.get("SAFERAG_EMBED_MODEL") or str(packaged_model_path()),
                                 device="cpu")
    dim = len(embed.get_text_embedding("dimension probe"))
    load = time.perf_counter() - t
    # The same chunking as saferag: 512 characters with 51 overlap (a character "tokenizer"),
    # or with --token-chunks the 128-token chunks of LlamaIndex's usual setup.
    splitter = (SentenceSplitter(chunk_size=128, chunk_overlap=13) if token_chunks
                else SentenceSplitter(chunk_size=512, chunk_overlap=51, tokenizer=list))
    t0 = time.perf_counter()
    if raw_html:
        docs = SimpleDirectoryReader(folder).load_data()  # LlamaIndex's default: markup and all
    else:  # like for like: the same clean text saferag embeds, extracted inside the timed run
        from llama_index.core import Document

        from saferag.ingest.html import html_to_text

        docs = [Document(text=html_to_text(p.read_text(encoding="utf-8")).text, metadata={"file_name": p.name})
                for p in sorted(Path(folder).glob("*.html"))]
    store = MilvusVectorStore(uri=db, dim=dim, overwrite=True)
    VectorStoreIndex.from_documents(docs, storage_context=StorageContext.from_defaults(vector_store=store),
                                    embed_model=embed,
                                    transformations=[splitter])
    seconds = time.perf_counter() - t0
    count = store.client.query(store.collection_name, filter="", output_fields=["count(*)"])[0]["count(*)"]
    name = "llamaindex" + ("-raw" if raw_html else "") + ("-128tok" if token_chunks else "")
    return {"pipeline": name, "model_load_s": load, "seconds": seconds, "embed_s": None,
            "documents": len(docs), "chunks": int(count), "failed": 0}


def run_worker(name: str, folder: Path, db: Path) -> dict:
    """Run one pipeline in a child process; add its peak RSS from the kernel's accounting."""
    proc = subprocess.Popen([sys.executable, __file__, "--worker", name, str(folder), str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{name} worker failed (status {status})")
    res = json.loads(out.strip().splitlines()[-1])
    res["peak_rss_mb"] = usage.ru_maxrss / 1024
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=DEFAULT_DIR)
    ap.add_argument("--pages", type=int, default=None, help="first N pages only")
    ap.add_argument("--llamaindex", action="store_true", help="also run the LlamaIndex pipeline")
    ap.add_argument("--raw-html", action="store_true",
                    help="LlamaIndex reads the files with its default reader (embeds the HTML markup too)")
    ap.add_argument("--token-chunks", action="store_true",
                    help="LlamaIndex splits into 128-token chunks instead of saferag's 512 characters")
    ap.add_argument("--model", help="embedding model (name or path) for both pipelines; default the packaged MiniLM")
    ap.add_argument("--keep-db", help="write saferag's Milvus Lite file here and keep it (for search_latency.py)")
    ap.add_argument("--worker", nargs=3, metavar=("NAME", "FOLDER", "DB"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        name, folder, db = args.worker
        workers = {"saferag": worker_saferag, "llamaindex": worker_llamaindex,
                   "llamaindex-raw": lambda f, d: worker_llamaindex(f, d, raw_html=True),
                   "llamaindex-128tok": lambda f, d: worker_llamaindex(f, d, token_chunks=True)}
        res = workers[name](folder, db)
        print(json.dumps(res))
        return
    if args.model:  # read by both workers: saferag's settings and the LlamaIndex side above
        os.environ["SAFERAG_EMBED_MODEL"] = args.model

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        n = pick_pages(args.dir, args.pages, tmp_path / "pages")
        print(f"{n} pages from {args.dir}; {os.cpu_count()} CPUs")
        db = Path(args.keep_db) if args.keep_db else tmp_path / "saferag.db"
        if db.exists():
            raise SystemExit(f"{db} exists: remove it first so the run starts from an empty collection")
        results = [run_worker("saferag", tmp_path / "pages", db)]
        if args.llamaindex:
            name = "llamaindex-raw" if args.raw_html else "llamaindex-128tok" if args.token_chunks else "llamaindex"
            results.append(run_worker(name, tmp_path / "pages", tmp_path / "llamaindex.db"))
    print(f"{'pipeline':20} {'docs':>5} {'chunks':>6} {'seconds':>8} {'docs/s':>7} {'chunks/s':>8} "
          f"{'embed %':>7} {'non-embed %':>11} {'peak RSS MB':>11} {'model load s':>12}")
    for r in results:
        embed_pct = f"{100 * r['embed_s'] / r['seconds']:.1f}" if r["embed_s"] is not None else "-"
        rest_pct = f"{100 - 100 * r['embed_s'] / r['seconds']:.1f}" if r["embed_s"] is not None else "-"
        print(f"{r['pipeline']:20} {r['documents']:5d} {r['chunks']:6d} {r['seconds']:8.1f} "
              f"{r['documents'] / r['seconds']:7.2f} {r['chunks'] / r['seconds']:8.1f} {embed_pct:>7} "
              f"{rest_pct:>11} {r['peak_rss_mb']:11.0f} {r['model_load_s']:12.1f}")
    if len(results) == 2:
        s, li = results
        print(f"saferag vs LlamaIndex on the same files: {li['seconds'] / s['seconds']:.2f}x faster "
              f"(wall time), {s['chunks'] / s['seconds'] / (li['chunks'] / li['seconds']):.2f}x chunks/s")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
