"""Schema by Alembic: from an empty database, idempotent, matching the models; SQLite pragmas."""

from __future__ import annotations

import multiprocessing

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from assistant.review import ReviewQueue
from assistant.db.engine import alembic_config, current_revision, head_revision, make_engine, upgrade
from assistant.db.models import Base
from tests.factories import db_url, fake_policy, fake_validator, make_draft  # noqa: F401

TABLES = {"review_items", "review_revisions", "review_comments", "review_audit", "performance", "alembic_version"}


def test_upgrade_from_empty_then_noop(db_url):
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        assert upgrade(engine) is True
        assert current_revision(engine) == head_revision() == "0002_performance"
        assert TABLES <= set(inspect(engine).get_table_names())
        assert upgrade(engine) is False  # second run: nothing to do
        # the plain `alembic upgrade head` path (env.py with a URL) is a no-op as well, twice
        command.upgrade(alembic_config(url=db_url), "head")
        command.upgrade(alembic_config(url=db_url), "head")
        assert current_revision(engine) == "0002_performance"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            # the models describe exactly what the migrations built
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def test_opening_the_queue_migrates_and_keeps_data(db_url):
    q = ReviewQueue(db_url, validator=fake_validator, brand_policy=fake_policy)
    item = q.add_draft(make_draft(), by="Ada")
    q.close()
    engine = make_engine(db_url)
    assert upgrade(engine) is False
    engine.dispose()
    q = ReviewQueue(db_url, validator=fake_validator, brand_policy=fake_policy)
    assert q.get(item.id).text == make_draft().text
    q.close()


def test_sqlite_pragmas_and_foreign_keys(tmp_path):
    q = ReviewQueue(f"sqlite:///{tmp_path}/p.db", validator=fake_validator, brand_policy=fake_policy)
    try:
        with q.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        with pytest.raises(IntegrityError), q.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO review_comments (item_id, author, text, created_at) "
                                 "VALUES (424242, 'x', 'orphan', '2026-01-01 00:00:00')")
    finally:
        q.close()


def test_database_url_setting(tmp_path, monkeypatch):
    from assistant.settings import load_settings

    settings = load_settings(home=tmp_path / "home")
    assert settings.db_url == f"sqlite:///{tmp_path / 'home'}/copydesk.db"
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", f"sqlite:///{tmp_path}/other.db")
    settings = load_settings(home=tmp_path / "home")
    q = ReviewQueue.open(settings, validator=fake_validator, brand_policy=fake_policy)
    q.close()
    assert (tmp_path / "other.db").is_file() and not (tmp_path / "home" / "copydesk.db").exists()


def test_bad_url_says_what_to_fix():
    from assistant.errors import ConfigError

    with pytest.raises(ConfigError, match="ASSISTANT_DATABASE_URL"):
        ReviewQueue("not a url")


def _open(url: str, barrier) -> None:
    barrier.wait()
    ReviewQueue(url, validator=fake_validator, brand_policy=fake_policy).close()


def test_two_processes_opening_an_empty_database(db_url):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_open, args=(db_url, barrier)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_in_memory_sqlite_works():
    q = ReviewQueue("sqlite://", validator=fake_validator, brand_policy=fake_policy)
    item = q.add_draft(make_draft(), by="Ada", submit=True)
    assert q.approve(item.id, by="Bea").state == "approved" and q.list().total == 1
    q.close()
