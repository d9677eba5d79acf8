"""Test helpers for a brand's data policy: restrict a brand folder's brand.yaml, and a plain TCP
listener on loopback that counts every connection made to it (even one that sends no byte)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import yaml


def restrict(brands_dir: Path, slug: str, **policy: object) -> None:
    """Set `allowed_providers` / `allowed_hosts` (or remove them with None) in the brand's brand.yaml."""
    path = Path(brands_dir) / slug / "brand.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in policy.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    before = path.stat().st_mtime_ns
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if path.stat().st_mtime_ns == before:  # a coarse clock: make the change visible to the mtime cache
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


class TcpListener:
    """Listens on 127.0.0.1 and never answers: the kernel completes every handshake into the
    backlog, so `connections()` sees each connection attempt, whether or not bytes followed."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.seen = 0
        self.received = b""

    def connections(self, settle: float = 0.2) -> int:
        time.sleep(settle)
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return self.seen
            self.seen += 1
            conn.settimeout(0.2)
            try:
                self.received += conn.recv(65536)
            except OSError:
                pass
            conn.close()

    def __enter__(self) -> TcpListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
