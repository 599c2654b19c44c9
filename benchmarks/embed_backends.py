"""Embedding throughput of the packaged MiniLM per backend and precision, and each one's fidelity to float32.

  python -m benchmarks.embed_backends [--chunks 600] \
      [--backends torch-fp32,torch-bf16,openvino-fp32,openvino-bf16,openvino-int8]
  python -m benchmarks.embed_backends --backends openvino-bf16 --batch-sizes 2,4,8,16 --round 64  # as the ingest
  python -m benchmarks.embed_backends --device cuda --backends torch-fp32,torch-fp16,torch-bf16 \
      --batch-sizes 32,64,128,256 --texts chunks.jsonl   # on a GPU host; --save-texts writes the file here

The chunks are real ingest chunks (title and heading path above the text, as saferag embeds them) of the
Python library reference, the ingest-speed corpus. Reports chunks/s (best of --repeats after a warm-up) and
the mean and minimum cosine of each backend's vectors to torch float32's. To measure another CPU class on an
AMX machine, set ``ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16`` (or ``AVX2``) before running.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np


def sample_chunks(folder: str, n: int) -> list[str]:
    from saferag.ingest.extract import to_text
    from saferag.ingest.prepare import chunk_metadata as _metadata
    from saferag.ingest.write import embedding_text
    from saferag.ingest.sources import DocumentRef, RawDocument
    from saferag.ingest.splitter import split

    texts: list[str] = []
    for path in sorted(Path(folder).glob("*.html")):
        raw = RawDocument(DocumentRef(path.name, str(path), "html"), path.read_bytes(), "html")
        doc = to_text(raw)
        texts += [embedding_text(c.text, _metadata(doc, c)) for c in split(doc.text, kind="html")]
        if len(texts) >= n:
            return texts[:n]
    return texts


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="/usr/share/doc/python3.11/html/library")
    ap.add_argument("--chunks", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--backends", default="torch-fp32,torch-bf16,openvino-fp32,openvino-bf16,openvino-int8")
    ap.add_argument("--device", default="cpu", help="cpu, or cuda on a GPU host")
    ap.add_argument("--model", default="", help="a model path or hub name (default: the packaged MiniLM)")
    ap.add_argument("--batch-sizes", default="", help="comma-separated; default: the embedder's own choice")
    ap.add_argument("--round", type=int, default=0,
                    help="embed in calls of this many texts, as the ingest does (64); default: all in one call")
    ap.add_argument("--texts", help="chunks from a JSON-lines file (one string a line) instead of --dir")
    ap.add_argument("--save-texts", help="write the chunks to this JSON-lines file and stop (for a GPU host "
                                         "without the documentation)")
    ap.add_argument("--reference", help="compare with these vectors (.npy) instead of the first backend's; "
                                        "written there first when the file does not exist yet")
    args = ap.parse_args()
    from saferag.embed import SentenceTransformerEmbedder, cpu_has_native_bf16

    if args.texts:
        texts = [json.loads(line) for line in Path(args.texts).read_text().splitlines()][:args.chunks]
    else:
        texts = sample_chunks(args.dir, args.chunks)
    if args.save_texts:
        Path(args.save_texts).write_text("".join(json.dumps(t) + "\n" for t in texts))
        print(f"wrote {len(texts)} chunks to {args.save_texts}")
        return
    if args.device != "cpu":
        import torch

        print(f"device {args.device}: {torch.cuda.get_device_name(args.device)}, torch {torch.__version__}")
    print(f"{len(texts)} chunks, mean {np.mean([len(t) for t in texts]):.0f} characters; CPU {cpu_name()}, "
          f"{os.cpu_count()} CPUs, native bfloat16: {cpu_has_native_bf16()}, "
          f"ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '(unset)')}")
    reference = np.load(args.reference) if args.reference and Path(args.reference).exists() else None
    print(f"{'backend':16} {'batch':>5} {'chunks/s':>9} {'mean cos':>9} {'min cos':>9}")
    batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b] or [None]
    for name in args.backends.split(","):
        backend, _, precision = name.partition("-")
        e = SentenceTransformerEmbedder(args.model, device=args.device, runtime=backend,
                                        precision={"fp32": "float32", "bf16": "bfloat16",
                                                   "fp16": "float16"}.get(precision, precision))
        for batch in batch_sizes:
            e.batch_size = batch or e.batch_size
            e.embed_documents(texts[:max(32, e.batch_size)])  # warm-up: allocations, graph compilation, kernels
            best, vectors = float("inf"), None
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                step = args.round or len(texts)  # host arrays come back, so the GPU has finished
                vectors = np.concatenate([e.embed_documents(texts[i:i + step]) for i in range(0, len(texts), step)])
                best = min(best, time.perf_counter() - t0)
            if reference is None:
                reference = vectors
                if args.reference:
                    np.save(args.reference, vectors)
            cos = np.sum(reference * vectors, axis=1)
            print(f"{name:16} {e.batch_size:5d} {len(texts) / best:9.1f} {cos.mean():9.5f} {cos.min():9.5f}",
                  flush=True)


if __name__ == "__main__":
    main()
