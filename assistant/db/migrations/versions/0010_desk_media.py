"""Media on desk drafts: a card of the drafting desk keeps the media chosen for it, in order,
each with the alt text typed on the card (`desk_drafts.media`, JSON: [{"media_id", "alt"}]);
they are attached to the review item when the card is sent. NULL (rows written before this
revision) reads as no media.

Revision ID: 0010_desk_media
Revises: 0009_publishing
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_desk_media"
down_revision = "0009_publishing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("desk_drafts", sa.Column("media", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("desk_drafts") as batch:
        batch.drop_column("media")
