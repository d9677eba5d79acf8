"""The knowledge base's system of record: every post, guideline passage and approved exemplar in
SQL (Chroma becomes an index rebuilt from it), and per-brand ingest state.

Existing installations have their documents only in Chroma: the first sync of each brand after
this migration copies them into the record (`KnowledgeBase.sync`, "adopt"), since a migration must
not depend on the vector store.

Revision ID: 0004_knowledge_record
Revises: 0003_violations_as_data
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_knowledge_record"
down_revision = "0003_violations_as_data"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_docs",
        sa.Column("brand", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(255), nullable=True),
        sa.Column("key", sa.String(64), nullable=True),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_knowledge_docs_kind", "knowledge_docs", ["brand", "kind"])
    op.create_index("ix_knowledge_docs_key", "knowledge_docs", ["brand", "key"])
    op.create_index("ix_knowledge_docs_source", "knowledge_docs", ["brand", "source"])
    op.create_index("ix_knowledge_docs_pending", "knowledge_docs", ["brand", "pending"])
    op.create_table(
        "knowledge_brands",
        sa.Column("brand", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("adopted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("knowledge_brands")
    for name in ("ix_knowledge_docs_pending", "ix_knowledge_docs_source", "ix_knowledge_docs_key",
                 "ix_knowledge_docs_kind"):
        op.drop_index(name, table_name="knowledge_docs")
    op.drop_table("knowledge_docs")
