"""A loopback HTTP proxy in front of a real server (the reference Bluesky PDS), to make the network
fail on cue: `answer(path_prefix, status, body, headers)` (the next request answers that instead of
reaching the server), `drop(path_prefix)` (the request reaches the server and is carried out, then
the connection closes without an answer: "the network acted, we never heard back").

Answers from the server have its address rewritten to the proxy's (a PDS names itself in session
and DID documents, and the atproto SDK follows that name), so every later request comes back here.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host",
       "accept-encoding", "upgrade", "proxy-connection", "te", "trailer"}


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.lock = threading.Lock()
        self.rules: list[dict] = []
        self.seen: list[str] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.client = httpx.Client(base_url=self.upstream, timeout=30)

    def __enter__(self) -> FaultProxy:
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.client.close()

    def answer(self, path_prefix: str, status: int, body: dict | None = None, headers: dict | None = None,
               count: int = 1) -> None:
        with self.lock:
            self.rules.append({"path": path_prefix, "count": count, "status": status,
                               "body": body if body is not None else {"error": "InternalServerError",
                                                                      "message": "injected failure"},
                               "headers": headers or {}})

    def drop(self, path_prefix: str, count: int = 1) -> None:
        with self.lock:
            self.rules.append({"path": path_prefix, "count": count, "drop": True})

    def requests(self, path_prefix: str) -> int:
        with self.lock:
            return sum(1 for path in self.seen if path.startswith(path_prefix))

    def _rule(self, path: str) -> dict | None:
        with self.lock:
            self.seen.append(path)
            rule = next((r for r in self.rules if r["count"] > 0 and path.startswith(r["path"])), None)
            if rule:
                rule["count"] -= 1
            return rule

    def _forward(self, method: str, path: str, headers: dict, body: bytes) -> httpx.Response:
        sent = {k: v for k, v in headers.items() if k.lower() not in HOP}
        return self.client.request(method, path, headers=sent, content=body or None)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def _serve(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                rule = proxy._rule(self.path.split("?", 1)[0].removeprefix("/xrpc/"))
                if rule and not rule.get("drop"):
                    return self._send(rule["status"], json.dumps(rule["body"]).encode(),
                                      {"Content-Type": "application/json", **rule["headers"]})
                answer = proxy._forward(method, self.path, dict(self.headers), body)
                if rule:  # carried out upstream; the client never hears of it
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                content = answer.content.replace(proxy.upstream.encode(), proxy.url.encode())
                kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP}
                self._send(answer.status_code, content, kept)

            def _send(self, status: int, content: bytes, headers: dict) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        return Handler
