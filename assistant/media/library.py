"""A brand's media library: uploads recognised by their content, checked against the size and
pixel limits (settings), stored once per content hash (`media.store`), images without their
metadata (`media.images`), and one row per brand and hash in `media` (`db.media`).

Uploading is a user's action: it needs the `library` right on the brand (editors and up,
`accounts.permissions`), checked here; the row records who uploaded it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.accounts.permissions import require
from assistant.accounts.schemas import Actor
from assistant.brands import SLUG_RE
from assistant.db.engine import utcnow
from assistant.db.media import Media
from assistant.media import images
from assistant.media.errors import MediaError
from assistant.media.probe import Sniffed, mp4_facts, sniff
from assistant.media.schemas import MediaPublic
from assistant.media.store import FileStore
from assistant.review.store import ReviewStore

ORIGINAL_SUFFIX = {"JPEG": "jpg", "PNG": "png", "WebP": "webp", "HEIC": "heic", "MP4": "mp4"}


class MediaLibrary:
    """The media of every brand, in the system of record's database (`db`, the review queue's)
    and under `home`/media."""

    def __init__(self, db: ReviewStore, home: Path, *, max_image_bytes: int = 20_000_000,
                 max_video_bytes: int = 200_000_000, max_pixels: int = 50_000_000, thumbnail_px: int = 320,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.files = FileStore(home)
        self.max_image_bytes, self.max_video_bytes = max_image_bytes, max_video_bytes
        self.max_pixels, self.thumbnail_px = max_pixels, thumbnail_px
        self.clock = clock

    @classmethod
    def from_settings(cls, db: ReviewStore, settings, **kwargs) -> MediaLibrary:
        return cls(db, settings.home, max_image_bytes=settings.media_max_image_bytes,
                   max_video_bytes=settings.media_max_video_bytes, max_pixels=settings.media_max_pixels,
                   thumbnail_px=settings.media_thumbnail_px, **kwargs)

    # --- adding ---------------------------------------------------------------------------------

    def add(self, brand: str, source: Path | bytes | BinaryIO, *, by: Actor | str, name: str | None = None,
            keep_original: bool = False, alt: str | None = None) -> MediaPublic:
        """Upload a file to the brand's library. Images are stored re-encoded without EXIF/GPS (the
        upload itself only with `keep_original`), videos (MP4) as they are. The same bytes uploaded
        again return the brand's existing file (`existing=True`) and store nothing. `alt`: alt text
        typed by `by`, the default of the file's attachments."""
        actor = self.db.actor(by)
        if not SLUG_RE.match(brand or ""):
            raise MediaError(f"brand: {brand!r} is not a brand slug (lowercase letters, digits and '-'); "
                             "`assistant brands` lists them", code="media_brand_invalid", brand=brand)
        require(actor, "library", brand)
        label = _display_name(name, source)
        temp, sha, size = self._spool(source, label)
        try:
            with temp.open("rb") as f:
                found = sniff(f.read(64))
            self._check_size(found, size, label)
            existing = self._existing(brand, sha)
            if existing is not None:
                return existing.model_copy(update={"existing": True})
            row = self._store_image(temp, found, sha, label, keep_original) if found.kind == "image" \
                else self._store_video(temp, sha)
        finally:
            temp.unlink(missing_ok=True)
        alt_text = " ".join(alt.split()) if alt and alt.strip() else None
        row.update(brand=brand, sha256=sha, original_name=label, alt_text=alt_text, created_by=actor.label,
                   created_by_id=actor.user_id, created_at=self.clock())
        return self._insert(row)

    def _spool(self, source: Path | bytes | BinaryIO, label: str) -> tuple[Path, str, int]:
        limit = max(self.max_image_bytes, self.max_video_bytes)
        if isinstance(source, (str, Path)):
            path = Path(source)
            if not path.is_file():
                raise MediaError(f"{path}: no such file; check the path", code="media_no_file", name=str(path))
            with path.open("rb") as f:
                return self.files.spool(f, limit)
        stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
        return self.files.spool(stream, limit)

    def _check_size(self, found: Sniffed, size: int, label: str) -> None:
        if found.kind is None:
            raise MediaError(f"{label}: this is {found.name}, not an image or video Copydesk takes (JPEG, PNG, WebP, "
                             "HEIC, MP4), whatever its name says; export it in one of those formats",
                             code="media_unknown_type", name=label, found=found.name)
        limit = self.max_image_bytes if found.kind == "image" else self.max_video_bytes
        if size > limit:
            setting = "ASSISTANT_MEDIA_MAX_IMAGE_BYTES" if found.kind == "image" else "ASSISTANT_MEDIA_MAX_VIDEO_BYTES"
            raise MediaError(f"{label}: {found.name} of more than {limit:,} bytes, the most allowed ({setting}); "
                             "make it smaller", code=f"media_too_big_{found.kind}", name=label, size=size, max=limit)

    def _store_image(self, temp: Path, found: Sniffed, sha: str, label: str, keep_original: bool) -> dict:
        data = temp.read_bytes()
        image = images.open_image(data, name=label, max_pixels=self.max_pixels, heic=found.name == "HEIC")
        cleaned = images.clean(image)
        relative = self.files.relative(sha, cleaned.suffix)
        if keep_original:
            self.files.put(self.files.original_path(relative, ORIGINAL_SUFFIX[found.name]), data)
        self.files.put(self.files.thumbnail_path(relative), images.thumbnail(cleaned.data, self.thumbnail_px))
        self.files.put(self.files.absolute(relative), cleaned.data)  # last: the file the row points at
        return dict(kind="image", mime=cleaned.mime, bytes=len(cleaned.data), width=cleaned.width,
                    height=cleaned.height, duration=None, path=relative, has_original=keep_original)

    def _store_video(self, temp: Path, sha: str) -> dict:
        size = temp.stat().st_size
        with temp.open("rb") as f:
            facts = mp4_facts(f, size)
        relative = self.files.relative(sha, "mp4")
        self.files.adopt(temp, self.files.absolute(relative))
        return dict(kind="video", mime="video/mp4", bytes=size, width=facts.width, height=facts.height,
                    duration=facts.duration, path=relative, has_original=False)

    def _insert(self, values: dict) -> MediaPublic:
        def txn(s: Session) -> MediaPublic:
            row = Media(**values)
            s.add(row)
            s.flush()
            return self.public(row)

        try:
            return self.db.write(txn)
        except IntegrityError:  # the same bytes, uploaded to the brand at the same moment by someone else
            existing = self._existing(values["brand"], values["sha256"])
            if existing is None:
                raise
            return existing.model_copy(update={"existing": True})

    # --- reading --------------------------------------------------------------------------------

    def _existing(self, brand: str, sha: str) -> MediaPublic | None:
        return self.db.read(lambda s: _maybe(self, s.scalars(
            select(Media).where(Media.brand == brand, Media.sha256 == sha)).first()))

    def get(self, media_id: int) -> MediaPublic:
        row = self.db.read(lambda s: _maybe(self, s.get(Media, media_id)))
        if row is None:
            raise MediaError(f"no media {media_id}: `assistant media list BRAND` shows the ids",
                             code="media_unknown", id=media_id)
        return row

    def list(self, brand: str, *, actor: Actor | str | None = None) -> list[MediaPublic]:
        """The brand's media, newest first (with `actor`: only if they may see the brand)."""
        if actor is not None:
            require(self.db.actor(actor), "view", brand)
        return self.db.read(lambda s: [self.public(r) for r in s.scalars(
            select(Media).where(Media.brand == brand).order_by(Media.id.desc()))])

    def public(self, row: Media) -> MediaPublic:
        thumb = self.files.thumbnail_path(row.path) if row.kind == "image" else None
        original = None
        if row.has_original:
            original = next(iter(sorted(self.files.absolute(row.path).parent.glob(f"{row.sha256}.orig.*"))), None)
        return MediaPublic(id=row.id, brand=row.brand, sha256=row.sha256, kind=row.kind, mime=row.mime,
                           bytes=row.bytes, width=row.width, height=row.height, duration=row.duration,
                           original_name=row.original_name, path=self.files.absolute(row.path),
                           thumbnail_path=thumb if thumb is not None and thumb.is_file() else None,
                           original_path=original, alt_text=row.alt_text, created_by=row.created_by, created_at=row.created_at)


def _maybe(library: MediaLibrary, row: Media | None) -> MediaPublic | None:
    return library.public(row) if row is not None else None


def _display_name(name: str | None, source: object) -> str:
    """The file's own name, without any folder (it is shown and kept, never used as a path)."""
    raw = name or (Path(source).name if isinstance(source, (str, Path)) else "") or "upload"
    return raw.replace("\\", "/").rsplit("/", 1)[-1].strip()[:255] or "upload"
