"""FAKE Ollama server: a stand-in, because no real Ollama can run on this machine.

It speaks the request and response shapes of Ollama's documented API
(https://github.com/ollama/ollama/blob/main/docs/api.md): ``POST /api/chat`` (NDJSON stream by
default, one JSON object with ``"stream": false``), ``GET /api/tags``, errors as
``{"error": "..."}`` with 404 for a model that was not pulled, and the OpenAI-compatible
``POST /v1/chat/completions`` (JSON or SSE). It does not run a model: its "answer" is built from
the request, so a test can see that what it sent arrived. Every request is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PULLED = ("llama3.2:1b",)


def fake_answer(messages: list[dict]) -> list[str]:
    """The pieces of a deterministic reply that quotes the last user message's first words."""
    last = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    return ["Fake ", "Ollama ", "answer ", "[1] ", "to: ", " ".join(last.split()[:6])]


class _ClientGone(Exception):
    """The client closed the connection while the fake was still writing."""


class FakeOllama:
    """Run on 127.0.0.1:``port`` in a thread; ``requests`` holds (path, JSON body) of each call."""

    def __init__(self, port: int) -> None:
        self.requests: list[tuple[str, dict]] = []
        self.delay = 0.0  # seconds to wait before answering (to test timeouts)
        self.fail_mid_stream = False  # send an {"error": ...} line after the first piece
        self.reply: str | None = None  # answer this text instead of the quoting reply
        self.aborted = 0  # streams the client closed before the end
        self.piece_delay = 0.0  # seconds between streamed pieces (to catch a stream mid-way)
        self.hold_until = 0  # hold each chat request until this many are in flight together (or hold_timeout)
        self.hold_timeout = 30.0
        self.in_flight = self.max_in_flight = 0  # chat requests being answered now / the most at once
        self._flight = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                if self.path == "/api/tags":
                    self._json(200, {"models": [{"name": m, "model": m} for m in PULLED]})
                else:
                    self._json(404, {"error": "404 page not found"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append((self.path, body))
                with fake._flight:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                    if fake.in_flight >= fake.hold_until:
                        fake.hold_until = 0  # all there: let every held request go (and hold no later one)
                        fake._flight.notify_all()
                    elif not fake._flight.wait_for(lambda: fake.hold_until == 0, fake.hold_timeout):
                        fake.hold_until = 0  # gave up once: the rest are not held (a failing test fails fast)
                        fake._flight.notify_all()
                try:
                    self._answer(body)
                finally:
                    with fake._flight:
                        fake.in_flight -= 1

            def _answer(self, body: dict) -> None:
                time.sleep(fake.delay)
                if self.path not in ("/api/chat", "/v1/chat/completions"):
                    return self._json(404, {"error": "404 page not found"})
                if body.get("model") not in PULLED:
                    msg = f'model "{body.get("model")}" not found, try pulling it first'
                    if self.path.startswith("/v1/"):
                        return self._json(404, {"error": {"message": msg, "type": "api_error"}})
                    return self._json(404, {"error": msg})
                pieces = [fake.reply] if fake.reply is not None else fake_answer(body["messages"])
                try:
                    if self.path == "/api/chat":
                        self._native(body, pieces)
                    else:
                        self._openai(body, pieces)
                except _ClientGone:
                    fake.aborted += 1
                    self.close_connection = True

            def _native(self, body: dict, pieces: list[str]) -> None:
                def line(content: str, done: bool) -> dict:
                    out = {"model": body["model"], "created_at": "2026-11-22T00:00:00Z",
                           "message": {"role": "assistant", "content": content}, "done": done}
                    if done:
                        out.update(done_reason="stop", prompt_eval_count=10, eval_count=len(pieces))
                    return out

                if body.get("stream", True) is False:
                    return self._json(200, line("".join(pieces), True))
                self._start("application/x-ndjson")
                for i, piece in enumerate(pieces):
                    self._chunk(json.dumps(line(piece, False)) + "\n")
                    if fake.fail_mid_stream and i == 0:
                        self._chunk(json.dumps({"error": "an error was encountered while running the model"}) + "\n")
                        break
                else:
                    self._chunk(json.dumps(line("", True)) + "\n")
                self._chunk("")

            def _openai(self, body: dict, pieces: list[str]) -> None:
                base = {"id": "chatcmpl-fake", "created": 0, "model": body["model"]}
                if not body.get("stream"):
                    return self._json(200, {**base, "object": "chat.completion", "choices": [{
                        "index": 0, "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "".join(pieces)}}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": len(pieces), "total_tokens": 10}})
                self._start("text/event-stream")
                for piece in pieces:
                    time.sleep(fake.piece_delay)
                    self._chunk("data: " + json.dumps({**base, "object": "chat.completion.chunk", "choices": [
                        {"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}]})
                        + "\n\n")
                self._chunk("data: " + json.dumps({**base, "object": "chat.completion.chunk", "choices": [
                    {"index": 0, "delta": {}, "finish_reason": "stop"}]}) + "\n\n")
                self._chunk("data: [DONE]\n\n")
                self._chunk("")

            def _json(self, status: int, obj: dict) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _start(self, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()

            def _chunk(self, text: str) -> None:
                data = text.encode()
                try:
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):  # the client left mid-stream
                    raise _ClientGone from None

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOllama:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
