"""The media files on disk, under ASSISTANT_HOME/media/, named by the sha256 of the bytes as
uploaded: `media/ab/<sha256>.<ext>` (the publishable file), `...thumb.webp` (its thumbnail) and,
only when asked for, `...orig.<ext>` (the upload as it came, metadata included).

Crash-safe: every file is written to a temporary file in the same folder, flushed to disk and
moved into place with `os.replace` (atomic), before its database row is written. A crash leaves
at worst a file without a row (harmless, reused by the next upload of the same bytes), never a
row without its file. Content-addressed names make a second upload of the same bytes a no-op.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


class FileStore:
    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.root = self.home / "media"

    def relative(self, sha256: str, suffix: str) -> str:
        """Where a file lives, relative to home (what the database keeps)."""
        return f"media/{sha256[:2]}/{sha256}.{suffix}"

    def absolute(self, relative: str) -> Path:
        return self.home / relative

    def thumbnail_path(self, relative: str) -> Path:
        """The thumbnail beside a stored file."""
        path = self.absolute(relative)
        return path.with_name(path.name.split(".", 1)[0] + ".thumb.webp")

    def original_path(self, relative: str, suffix: str) -> Path:
        path = self.absolute(relative)
        return path.with_name(path.name.split(".", 1)[0] + f".orig.{suffix}")

    def put(self, target: Path, data: bytes) -> None:
        """`data` at `target`, atomically; nothing is written when the file is already there (same
        content: the name is its hash)."""
        if target.is_file():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def spool(self, source: BinaryIO, limit: int) -> tuple[Path, str, int]:
        """Copy an upload into a temporary file under media/ while hashing it: (temp path, sha256,
        size). Stops (and returns the size read so far, over `limit`) as soon as it is too big."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as f:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > limit:  # keep what fits (its first bytes still say what it is) and stop
                        f.write(chunk[:max(0, limit - (size - len(chunk)))])
                        break
                    digest.update(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return Path(temp), digest.hexdigest(), size

    def adopt(self, temp: Path, target: Path) -> None:
        """Move a spooled upload into place (atomic); if the same content is already there, drop it."""
        if target.is_file():
            temp.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, target)
