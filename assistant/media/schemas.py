"""What leaves the media package: a file of a brand's library (`MediaPublic`), a file attached
to a review item (`Attachment`, what publishing and the pages read) and a file as it would be
attached (`PlannedAttachment`: a draft's media before it is sent to review)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

AltSource = Literal["human", "proposal"]


class FileFacts(BaseModel):
    """What a stored file is, as both a library file and an attachment carry it. `path` is the
    publishable file (absolute): images without EXIF or GPS, videos as uploaded."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["image", "video"]
    mime: str
    bytes: int
    width: int | None
    height: int | None
    duration: float | None
    original_name: str
    path: Path
    thumbnail_path: Path | None


class MediaPublic(FileFacts):
    """One file of a brand's library; `original_path` only when the upload was kept."""

    id: int
    brand: str
    sha256: str
    original_path: Path | None
    alt_text: str | None = None  # typed at upload: attachments start with it (as a person's)
    created_by: str
    created_at: datetime
    existing: bool = False  # `add`: the brand already had these bytes (nothing new was stored)


class Attachment(FileFacts):
    """One file attached to a review item, in the item's order (`position` 0 first: a carousel's
    first slide). `alt_source` is `proposal` while the alt text is a suggestion no person has
    confirmed yet, `human` once typed or confirmed, None when there is no alt text."""

    item_id: int
    media_id: int
    position: int
    alt_text: str | None
    alt_source: AltSource | None
    updated_by: str
    updated_at: datetime


class PlannedAttachment(FileFacts):
    """A library file as it would be attached (`attachments.preview`), in the post's order, with
    the alt text it would start with: enough for the media rules (`platforms.media.check_media`)."""

    media_id: int
    position: int
    alt_text: str | None
    alt_source: AltSource | None
