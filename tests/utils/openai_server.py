"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests: /v1/chat/completions with and
without streaming (server-sent events), scripted failures (429, 500), and a hanging mode; also
/v1/embeddings (small deterministic vectors). Every POST body is logged in `requests`."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ScriptedServer:
    """`plan` is consumed one entry per request: "ok", "429", "500", "hang"; then "ok" forever.

    Ways a stream can end, for the streamed replies (`ending`): "stop" (normal), "eof" (the
    stream just ends: no finish signal, no [DONE]), "close" (the socket closes mid-stream,
    without the chunked terminator), "length" (finish_reason length), "empty" (no content, stop)."""

    def __init__(self, reply: str = "Ciao dal server di prova! #Test", plan: list[str] | None = None,
                 api_key: str | None = None, report_usage: bool = True, ending: str = "stop") -> None:
        self.ending = ending
        self.reply = reply
        self.plan = list(plan or [])
        self.api_key = api_key
        self.report_usage = report_usage
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                self._json(200, {"object": "list", "data": [{"id": "test-model", "object": "model"}]})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(body)
                server.headers.append(dict(self.headers))
                if server.api_key and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                    return self._json(401, {"error": {"message": "bad key", "type": "invalid_request_error"}})
                if self.path.rstrip("/").endswith("/embeddings"):  # OpenAI's embeddings endpoint
                    return self._embeddings(body)
                step = server.plan.pop(0) if server.plan else "ok"
                if step == "429":
                    return self._json(429, {"error": {"message": "slow down", "type": "rate_limit"}},
                                      {"retry-after-ms": "10"})
                if step == "500":
                    return self._json(500, {"error": {"message": "boom", "type": "server_error"}})
                if step == "hang":
                    time.sleep(5)
                    return
                if body.get("stream"):
                    return self._stream(body)
                self._json(200, {
                    "id": "cmpl-1", "object": "chat.completion", "created": int(time.time()), "model": body.get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": server.reply},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
                })

            def _embeddings(self, body):
                texts = body.get("input") or []
                texts = [texts] if isinstance(texts, (str, int)) or texts and isinstance(texts[0], int) else texts
                data = [{"object": "embedding", "index": i, "embedding": [float((i + n) % 5) + 0.5 for n in range(8)]}
                        for i, _ in enumerate(texts)]
                self._json(200, {"object": "list", "data": data, "model": body.get("model"),
                                 "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)}})

            def _json(self, status, payload, extra_headers=None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (extra_headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()

                def send(obj):
                    data = f"data: {json.dumps(obj) if not isinstance(obj, str) else obj}\n\n".encode()
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()

                base = {"id": "cmpl-1", "object": "chat.completion.chunk", "created": int(time.time()),
                        "model": body.get("model")}
                words = [] if server.ending == "empty" else server.reply.split(" ")
                if server.ending in ("eof", "close"):
                    words = words[:max(1, len(words) // 2)]
                for n, word in enumerate(words):
                    piece = word if n == 0 else " " + word
                    send(base | {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
                if server.ending == "close":
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if server.ending == "eof":
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                    return
                finish = "length" if server.ending == "length" else "stop"
                send(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
                if server.report_usage and (body.get("stream_options") or {}).get("include_usage"):
                    send(base | {"choices": [], "usage": {"prompt_tokens": 42, "completion_tokens": 9, "total_tokens": 51}})
                send("[DONE]")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
