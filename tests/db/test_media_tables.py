"""Migration 0008_media: down to 0007 and up again, on a real SQLite file."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from assistant.db.engine import alembic_config, current_revision, make_engine, upgrade


def test_0008_down_and_up(tmp_path):
    url = f"sqlite:///{tmp_path}/m.db"
    engine = make_engine(url)
    try:
        upgrade(engine)
        assert {"media", "media_attachments"} <= set(inspect(engine).get_table_names())
        command.downgrade(alembic_config(url=url), "0007_record_guard")
        assert current_revision(engine) == "0007_record_guard"
        assert not {"media", "media_attachments"} & set(inspect(engine).get_table_names())
        assert upgrade(engine) is True
        uniques = {u["name"] for u in inspect(engine).get_unique_constraints("media_attachments")}
        assert uniques == {"uq_media_attachments_item_position", "uq_media_attachments_item_media"}
    finally:
        engine.dispose()
