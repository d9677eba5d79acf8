"""The record is append-only in the database too: review_revisions, review_audit and
review_comments refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE), whoever asks.

No code path changes or deletes those rows: an edit is a new revision, every action a new audit
event, every comment a new row, and nothing is deleted (items are archived). These triggers make
the database refuse it too, so an item's provenance record (`assistant.review.record`) can only
grow. Dropping a table (a downgrade, a test's teardown) fires no trigger. A later migration that
must rewrite these rows (as 0003 did, before this one) drops the triggers first and creates them
again after (`drop_guards` / `create_guards`).

Revision ID: 0007_record_guard
Revises: 0006_desk
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0007_record_guard"
down_revision = "0006_desk"
branch_labels = None
depends_on = None

TABLES = ("review_revisions", "review_audit", "review_comments")
MESSAGE = ("is append-only (the provenance record): rows are never changed or deleted; add a revision, "
           "an audit event or a comment instead")
FUNCTION = "copydesk_append_only"


def create_guards() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for event in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} {MESSAGE}'); END")
        return
    op.execute(f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
               f"RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' {MESSAGE}', ERRCODE = '23000'; END $$")
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()")


def drop_guards() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


def upgrade() -> None:
    create_guards()


def downgrade() -> None:
    drop_guards()
