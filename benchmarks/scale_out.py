"""Scale-out overhead: chunks/s of an ingest in process, through a served embedder (Infinity), and on Ray, at
equal compute (the same model in torch float32, the same threads doing the embedding).

  python -m benchmarks.scale_out [--pages 20] [--modes here-1,served-1,ray-1,here-2,served-2,ray-2] [--openvino]

``here-N``: the ordinary ingest, torch on N threads. ``served-N``: the ingest with ``embed_backend = openai``
against Infinity (scripts/install_infinity.sh) on this machine, its torch on N threads. ``ray-N``: ``--ray`` on a
local runtime with N embedding actors of one thread each (reading tasks get one more logical CPU). Each mode runs
in its own subprocess on a fresh Milvus Lite file over the same pages; times exclude loading the model and
starting Ray or the server (printed apart). On 2 cores, N = 2 cannot show a speed-up over N = 1 for Ray (the
reading shares the cores): compare ``ray-1`` with ``here-1`` for the per-worker overhead. ``--openvino``: the
default embedder instead (OpenVINO at the CPU's default precision), ``here-N`` on ``embed_threads = N`` and each Ray
actor on its own CPUs' threads, as saferag sets them (``served`` stays torch's).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.embed_backends import cpu_name
from benchmarks.ingest_speed import DEFAULT_DIR, pick_pages

REPO = Path(__file__).resolve().parent.parent
INFINITY = REPO / ".venv-infinity" / "bin" / "infinity_emb"


def worker(mode: str, folder: str, db: str, url: str, runtime: str = "torch") -> dict:
    from saferag import SafeRag
    from saferag.embed import PACKAGED_MODEL_NAME

    kind, n = mode.rsplit("-", 1)
    settings: dict = {"embed_runtime": "torch", "embed_precision": "float32", "guard": "off"}
    if runtime == "openvino":
        settings = {"guard": "off"} | ({"embed_threads": int(n)} if kind == "here" else {})
    if kind == "served":
        settings |= {"embed_backend": "openai", "embed_base_url": url, "embed_model": PACKAGED_MODEL_NAME}
    ray = None
    t = time.perf_counter()
    if kind == "ray":
        import ray as ray_module

        ray_module.init(num_cpus=int(n) + 1, include_dashboard=False, log_to_driver=False, configure_logging=False)
        settings |= {"ray_embed_actors": int(n), "ray_embed_cpus": 1.0}
        ray = "auto"
    rag = SafeRag(milvus_uri=db, collection="bench", **settings)
    rag.embedder  # noqa: B018 - loaded before the clock starts (the driver's, for the collection's name and dim)
    start = time.perf_counter() - t
    report = rag.ingest([folder], ray=ray)
    return {"mode": mode, "start_s": round(start, 1), "seconds": round(report.seconds, 1),
            "chunks": report.chunks_written, "chunks_per_s": round(report.chunks_written / report.seconds, 1),
            "embed_s": round(report.embed_seconds, 1), "failed": len(report.failed)}


def start_infinity(threads: int, port: int = 7997) -> subprocess.Popen:
    from saferag.embed import PACKAGED_MODEL_NAME, packaged_model_path
    from saferag.testing import wait_until_up

    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1",
           "INFINITY_ANONYMOUS_USAGE_STATS": "0", "DO_NOT_TRACK": "1"}
    proc = subprocess.Popen([str(INFINITY), "v2", "--model-id", str(packaged_model_path()), "--served-model-name",
                             PACKAGED_MODEL_NAME, "--host", "127.0.0.1", "--port", str(port), "--url-prefix", "/v1",
                             "--engine", "torch", "--device", "cpu", "--no-bettertransformer", "--dtype", "float32",
                             "--batch-size", "8"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    if not wait_until_up(f"http://127.0.0.1:{port}/v1/models", proc, timeout=180):
        proc.kill()
        raise SystemExit("Infinity did not start (scripts/install_infinity.sh installs it)")
    return proc


def run_mode(mode: str, folder: Path, db: Path, runtime: str = "torch") -> dict:
    kind, n = mode.rsplit("-", 1)
    server = start_infinity(int(n)) if kind == "served" else None
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    if kind != "ray":  # Ray gives each actor its own thread count (its CPUs)
        env |= {"OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n}
    if kind == "served":  # the driver only sends text: the server's threads do the embedding
        env |= {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    try:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.scale_out", "--worker", mode, str(folder), str(db),
                               "http://127.0.0.1:7997/v1", runtime], cwd=REPO, env=env, capture_output=True, text=True)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        print(json.dumps(worker(*sys.argv[2:7])))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=DEFAULT_DIR)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--modes", default="here-1,served-1,ray-1,here-2,served-2,ray-2")
    ap.add_argument("--openvino", action="store_true", help="the default embedder (OpenVINO), not torch float32")
    args = ap.parse_args()
    print(f"# {cpu_name()}, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}; {args.pages} pages of {args.dir}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pages"
        pick_pages(args.dir, args.pages, folder)
        results = {}
        for mode in args.modes.split(","):
            results[mode] = r = run_mode(mode, folder, Path(tmp) / f"{mode}.db",
                                         "openvino" if args.openvino else "torch")
            base = results.get(f"here-{mode.rsplit('-', 1)[1]}")
            extra = f"  per chunk vs here: {base['chunks_per_s'] / r['chunks_per_s'] - 1:+.1%}" if base else ""
            print(f"{mode:9} {r['chunks']} chunks in {r['seconds']} s = {r['chunks_per_s']} chunks/s "
                  f"(embedding {r['embed_s']} s; start-up {r['start_s']} s; failed {r['failed']}){extra}", flush=True)


if __name__ == "__main__":
    main()
