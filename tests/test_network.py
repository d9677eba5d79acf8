"""No code path touches the network unless a remote provider is configured."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO


def test_guard_blocks_everything_but_loopback(network_guard):
    with pytest.raises(OSError):
        socket.create_connection(("93.184.215.14", 443), timeout=1)
    with pytest.raises(OSError):
        socket.getaddrinfo("pypi.org", 443)
    assert any("93.184.215.14" in a for a in network_guard.attempts)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=1)  # loopback is allowed
    client.close()
    server.close()


def test_cli_ingest_and_search_in_a_fresh_process_attempt_no_network(tmp_path):
    """A separate interpreter with sockets restricted to loopback at the lowest level: the CLI
    indexes a demo brand with the real model and searches it; any other connect would fail it."""
    script = textwrap.dedent("""
        import socket, sys, ipaddress
        attempts = []
        real = socket.socket.connect
        def connect(self, addr):
            if isinstance(addr, tuple) and not ipaddress.ip_address(addr[0].split('%')[0]).is_loopback:
                attempts.append(addr); raise ConnectionRefusedError(addr)
            return real(self, addr)
        socket.socket.connect = connect
        real_gai = socket.getaddrinfo
        def gai(host, *a, **k):
            if host not in (None, 'localhost', '127.0.0.1', '::1'):
                attempts.append(host); raise socket.gaierror(host)
            return real_gai(host, *a, **k)
        socket.getaddrinfo = gai
        sys.argv = ['assistant', 'ingest', 'bottega-pasubio', '--json']
        from assistant.cli import app
        try:
            app()
        except SystemExit as e:
            assert e.code in (0, None), e.code
        sys.argv = ['assistant', 'search', 'bottega-pasubio', 'lana', '--json']
        try:
            app()
        except SystemExit as e:
            assert e.code in (0, None), e.code
        print('ATTEMPTS', attempts, file=sys.stderr)
        sys.exit(3 if attempts else 0)
    """)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ASSISTANT_HOME": str(tmp_path / "home"),
           "ASSISTANT_BRANDS_DIR": str(REPO / "brand_profiles")}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ATTEMPTS []" in proc.stderr
    assert '"added"' in proc.stdout and '"kind"' in proc.stdout
