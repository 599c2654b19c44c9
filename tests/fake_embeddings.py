"""FAKE OpenAI embedding server: a stand-in only for what no real server will do on demand, answer slowly or
with vectors of the wrong size. It speaks ``POST /v1/embeddings`` as OpenAI documents it
(https://platform.openai.com/docs/api-reference/embeddings); its vectors are ``dim`` constant values."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeEmbeddings:
    """Run on 127.0.0.1:``port`` in a thread; ``url`` ends in /v1."""

    def __init__(self, port: int, *, dim: int = 8, delay: float = 0.0) -> None:
        self.dim, self.delay, self.requests = dim, delay, 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests += 1
                time.sleep(fake.delay)
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                data = [{"object": "embedding", "index": i, "embedding": [0.5] * fake.dim} for i in range(len(texts))]
                out = json.dumps({"object": "list", "data": data, "model": body.get("model", ""),
                                  "usage": {"prompt_tokens": 1, "total_tokens": 1}}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except OSError:  # the client timed out and left
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}/v1"

    def __enter__(self) -> FakeEmbeddings:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
