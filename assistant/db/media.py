"""The media library's tables (migration `0008_media`): files per brand, and their attachments
to review items in order, with alt text.

`media`: one row per brand and content hash (the same bytes uploaded twice are one row per
brand, and one file on disk for every brand). `path` is relative to ASSISTANT_HOME: the
publishable file (images re-encoded without EXIF/GPS; videos as uploaded). The row is written
only after its files are in place (`assistant.media.store`), so a row never points at nothing.

`media_attachments`: an item's media in order (`position` 0, 1, ...: a carousel), each with its
alt text and where that text came from: `human` (typed or confirmed by a person) or `proposal`
(made from the brief and the file name, to be confirmed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db.models import NAME, Base

KINDS = ("image", "video")
ALT_SOURCES = ("human", "proposal")


class Media(Base):
    __tablename__ = "media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))  # of the bytes as uploaded
    kind: Mapped[str] = mapped_column(String(8))  # image | video
    mime: Mapped[str] = mapped_column(String(64))  # of the stored (publishable) file
    bytes: Mapped[int] = mapped_column(BigInteger)  # of the stored file
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[float | None] = mapped_column(Float)  # seconds (videos)
    original_name: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(255))  # relative to ASSISTANT_HOME
    has_original: Mapped[bool] = mapped_column(Boolean)
    alt_text: Mapped[str | None] = mapped_column(Text)  # typed at upload: the default of its attachments
    created_by: Mapped[str] = mapped_column(String(NAME))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", name="fk_media_created_by_id"))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("brand", "sha256", name="uq_media_brand_sha256"),
                      Index("ix_media_brand", "brand", "id"))


class MediaAttachment(Base):
    __tablename__ = "media_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", name="fk_media_attachments_item_id"))
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", name="fk_media_attachments_media_id"))
    position: Mapped[int] = mapped_column(Integer)
    alt_text: Mapped[str | None] = mapped_column(Text)
    alt_source: Mapped[str | None] = mapped_column(String(16))  # human | proposal | None (no alt text)
    updated_by: Mapped[str] = mapped_column(String(NAME))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 name="fk_media_attachments_updated_by_id"))
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("item_id", "position", name="uq_media_attachments_item_position"),
                      UniqueConstraint("item_id", "media_id", name="uq_media_attachments_item_media"),
                      Index("ix_media_attachments_media", "media_id"))
