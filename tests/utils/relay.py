"""A TCP relay on 127.0.0.1 in front of a test server that can hold back answers: with `holding`
on, a connection that sends `POST <path>` gets the request through to the server (which acts on
it) but never hears back. The "worker killed in the middle of a publish" case: the network made
the post, the worker never learnt it."""

from __future__ import annotations

import socket
import threading
import time


class Relay:
    def __init__(self, upstream_port: int, hold_path: bytes = b"POST /api/v1/statuses") -> None:
        self.upstream_port, self.hold_path = upstream_port, hold_path
        self.holding = threading.Event()
        self.held = threading.Event()  # set once a request was let through and its answer held back
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._closed = False

    def __enter__(self) -> Relay:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        self._server.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            hold = threading.Event()
            threading.Thread(target=self._up, args=(client, upstream, hold), daemon=True).start()
            threading.Thread(target=self._down, args=(upstream, client, hold), daemon=True).start()

    def _up(self, src: socket.socket, dst: socket.socket, hold: threading.Event) -> None:
        try:
            while data := src.recv(65536):
                if self.holding.is_set() and self.hold_path in data:
                    hold.set()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass

    def _down(self, src: socket.socket, dst: socket.socket, hold: threading.Event) -> None:
        try:
            while data := src.recv(65536):
                if hold.is_set():
                    self.held.set()
                    while self.holding.is_set() and not self._closed:
                        time.sleep(0.05)  # never answered while holding: the client dies waiting
                    if dst.fileno() == -1:
                        return
                dst.sendall(data)
        except OSError:
            pass
