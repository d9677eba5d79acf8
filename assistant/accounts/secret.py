"""The server secret that signs session cookies and share links (itsdangerous, one salt per purpose).

`ASSISTANT_SESSION_SECRET` when set (every replica of a team's app needs the same one), else the
file `$ASSISTANT_HOME/session_secret`, generated on first use with 0600 permissions. A file that
others can read is refused: whoever reads it can forge sessions."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from assistant.errors import ConfigError

FILE_NAME = "session_secret"
MIN_LENGTH = 32


def secret_path(home: Path) -> Path:
    return home / FILE_NAME


def load_secret(home: Path, configured: str | None = None, *, create: bool = True) -> str:
    if configured:
        if len(configured) < MIN_LENGTH:
            raise ConfigError(f"ASSISTANT_SESSION_SECRET: use at least {MIN_LENGTH} random characters "
                              "(`python -c \"import secrets; print(secrets.token_urlsafe(48))\"`)")
        return configured
    path = secret_path(home)
    value = private_file(path, lambda: secrets.token_urlsafe(48), create=create,
                         missing=f"no session secret: set ASSISTANT_SESSION_SECRET or let the app create {path}",
                         renew="everyone signs in again")
    if len(value) < MIN_LENGTH:
        raise ConfigError(f"{path} is too short to be a secret: delete it to have a new one made")
    return value


def private_file(path: Path, make: Callable[[], str], *, create: bool = True, missing: str = "",
                 renew: str = "") -> str:
    """The content of a file only its owner may read: made with `make()` and 0600 permissions on first
    use (`create`), else ConfigError(`missing`); a file others can read (group or world) is refused,
    whoever wrote it. `renew` says what deleting it costs (in the message). Two processes making it
    at once: the first one's content wins."""
    if not path.exists():
        if not create:
            raise ConfigError(missing or f"{path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name, then linked into place: the file never exists
        # empty or half-written (a second process starting at the same moment reads it whole).
        temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(make())
                fh.flush()
                os.fsync(fh.fileno())
            os.link(temp, path)
        except FileExistsError:  # another process made it first: use theirs
            pass
        finally:
            temp.unlink(missing_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{path} can be read by others (mode {mode:o}): run `chmod 600 {path}`, or delete it to "
                          f"have a new one made{f' ({renew})' if renew else ''}", code="secret_file_open",
                          path=str(path))
    return path.read_text().strip()
