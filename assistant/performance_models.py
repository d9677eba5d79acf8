"""The `performance` table: post figures imported from the platforms' exports (SQLAlchemy 2).

On the same declarative `Base` as the review queue, in the same database. The table itself is
created by the Alembic migration `0002_performance`; this class must describe the same table.

One row is one measurement of one published post: figures as the platform reported them on
`measured_at`. A post is known by `post_key` (a hash of its normalised URL, else of its
platform and normalised text), so that the same post measured again on another day is a new
row, and the same file imported again is not (unique on brand, post_key, measured_at).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.review_models import Base


class PerformanceRecord(Base):
    __tablename__ = "performance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    post_key: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("review_items.id"))  # a published queue item
    doc_id: Mapped[str | None] = mapped_column(String(64))  # a past post (or exemplar) in the brand's collection
    matched_by: Mapped[str | None] = mapped_column(String(16))  # "url" | "text" | None (unmatched)
    match_score: Mapped[float | None] = mapped_column(Float)
    url: Mapped[str | None] = mapped_column(Text)  # as exported
    text_snippet: Mapped[str | None] = mapped_column(Text)
    measured_at: Mapped[datetime]
    posted_at: Mapped[datetime | None]
    likes: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[int | None] = mapped_column(Integer)
    shares: Mapped[int | None] = mapped_column(Integer)
    clicks: Mapped[int | None] = mapped_column(Integer)
    impressions: Mapped[int | None] = mapped_column(Integer)
    reach: Mapped[int | None] = mapped_column(Integer)
    engagement: Mapped[int | None] = mapped_column(Integer)
    engagement_rate: Mapped[float | None] = mapped_column(Float)
    rate_basis: Mapped[str | None] = mapped_column(String(16))  # "impressions" | "reach"
    source_file: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("brand", "post_key", "measured_at", name="uq_performance_brand_post_measured"),
        Index("ix_performance_brand_platform", "brand", "platform", "measured_at"),
        Index("ix_performance_item_id", "item_id"),
    )
