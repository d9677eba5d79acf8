"""The private files that hold the server's secrets (the session secret, the connected accounts'
key): made once with 0600 permissions, never seen empty or half-written, refused when others can
read them."""

from __future__ import annotations

import os
import threading

import pytest

from assistant.accounts.secret import load_secret, private_file
from assistant.errors import ConfigError


def test_made_once_with_0600_and_the_same_for_every_process_starting_at_once(tmp_path):
    path = tmp_path / "conf" / "secrets.key"
    made, seen, start = [], [], threading.Barrier(8)

    def make() -> str:
        made.append(1)
        return f"value-{len(made)}-" + "x" * 40

    def one() -> None:
        start.wait()
        seen.append(private_file(path, make))

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1 and seen[0].startswith("value-") and seen[0] == path.read_text()
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secrets.key"]  # no temporary file left behind


def test_a_file_others_can_read_is_refused_and_a_missing_one_when_it_may_not_be_made(tmp_path):
    path = tmp_path / "session_secret"
    with pytest.raises(ConfigError, match="ASSISTANT_SESSION_SECRET"):
        load_secret(tmp_path, create=False)
    assert len(load_secret(tmp_path)) >= 32
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_secret(tmp_path)
