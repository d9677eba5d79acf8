"""Schema by Alembic: from an empty database, idempotent, matching the models; SQLite pragmas."""

from __future__ import annotations

import multiprocessing

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from assistant.review import ReviewQueue
from assistant.db.engine import alembic_config, current_revision, head_revision, make_engine, upgrade
from assistant.db.models import AuditEvent, Base, Item, Revision
from tests.factories import T0, add_people, db_url, fake_policy, fake_validator, make_draft  # noqa: F401

TABLES = {"review_items", "review_revisions", "review_comments", "review_audit", "performance", "knowledge_docs",
          "knowledge_brands", "desk_sessions", "desk_turns", "desk_drafts", "media", "media_attachments", "publish_connections", "publish_jobs", "notifications",
          "alembic_version"}


def test_upgrade_from_empty_then_noop(db_url):
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        assert upgrade(engine) is True
        assert current_revision(engine) == head_revision() == "0010_desk_media"
        assert TABLES <= set(inspect(engine).get_table_names())
        assert upgrade(engine) is False  # second run: nothing to do
        # the plain `alembic upgrade head` path (env.py with a URL) is a no-op as well, twice
        command.upgrade(alembic_config(url=db_url), "head")
        command.upgrade(alembic_config(url=db_url), "head")
        assert current_revision(engine) == "0010_desk_media"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            # the models describe exactly what the migrations built
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def test_opening_the_queue_migrates_and_keeps_data(db_url):
    q = add_people(ReviewQueue(db_url, validator=fake_validator, brand_policy=fake_policy))
    item = q.add_draft(make_draft(), by="Ada")
    q.close()
    engine = make_engine(db_url)
    assert upgrade(engine) is False
    engine.dispose()
    q = add_people(ReviewQueue(db_url, validator=fake_validator, brand_policy=fake_policy))
    assert q.get(item.id).text == make_draft().text
    q.close()


def test_sqlite_pragmas_and_foreign_keys(tmp_path):
    q = add_people(ReviewQueue(f"sqlite:///{tmp_path}/p.db", validator=fake_validator, brand_policy=fake_policy))
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
    q = add_people(ReviewQueue.open(settings, validator=fake_validator, brand_policy=fake_policy))
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
    q = add_people(ReviewQueue("sqlite://", validator=fake_validator, brand_policy=fake_policy))
    item = q.add_draft(make_draft(), by="Ada", submit=True)
    assert q.approve(item.id, by="Bea").state == "approved" and q.list().total == 1
    q.close()


# --- 0003: violations stored as rendered text become data ----------------------------------------

OLD_VIOLATIONS = [  # as the checks stored them before 0003: rendered, mostly in Italian
    {"code": "too_long", "severity": "error", "span": [280, 300], "platform": "x",
     "message": "X: 300 caratteri ponderati su 280 consentiti (20 di troppo)."},
    {"code": "wrong_language", "severity": "warning", "span": None, "platform": None,
     "message": "Il testo sembra in inglese, ma era atteso in italiano."},
    {"code": "banned_word", "severity": "error", "span": [5, 14], "platform": None,
     "message": "Parola vietata dal brand: «Economico» (in elenco: economico)."},
    {"code": "missing_required_hashtag", "severity": "error", "span": None, "platform": None,
     "message": "The required hashtag #lana is missing."},
    {"code": "too_many_hashtags", "severity": "error", "span": [40, 45], "platform": "instagram",
     "message": "Instagram allows at most 5 hashtags: #sei is number 6."},
    {"code": "too_long", "severity": "error", "span": [0, 3], "platform": "x",
     "message": "Troppo lungo per X, accorcia."},  # an older wording: no template matches
    {"code": "exclamations", "severity": "warning", "span": None, "platform": None,
     "message": "troppi punti esclamativi"},  # a code without a template
]
ALREADY_DATA = {"code": "banned_word", "severity": "error", "params": {"found": "VIETATO", "word": "vietato"},
                "span": [0, 7]}

EXPECTED = [  # (params, English, Italian)
    ({"platform": "X", "count": 300, "limit": 280, "over": 20, "counting": "weighted"},
     "X: 300 weighted characters of the 280 allowed (20 too many).",
     "X: 300 caratteri ponderati su 280 consentiti (20 di troppo)."),
    ({"detected": "en", "expected": "it"},
     "The text looks like English, but Italian was expected.",
     "Il testo sembra in inglese, ma era atteso in italiano."),
    ({"found": "Economico", "word": "economico"},
     'Banned by the brand: "Economico" (listed as: economico).',
     "Parola vietata dal brand: «Economico» (in elenco: economico)."),
    ({"tag": "#lana"}, "The required hashtag #lana is missing.", "Manca l'hashtag obbligatorio #lana."),
    ({"platform": "Instagram", "max": 5, "tag": "#sei", "n": 6},
     "Instagram allows at most 5 hashtags: #sei is number 6.",
     "Instagram accetta al massimo 5 hashtag: #sei è il numero 6."),
    ({}, "Troppo lungo per X, accorcia.", "Troppo lungo per X, accorcia."),
    ({}, "troppi punti esclamativi", "troppi punti esclamativi"),
]


def _stored(engine, item_id: int) -> tuple[list, dict]:
    with engine.connect() as conn:
        violations = conn.execute(select(Revision.violations).where(Revision.item_id == item_id)
                                  .order_by(Revision.number)).scalars().all()
        audit = conn.execute(select(AuditEvent.data).where(AuditEvent.item_id == item_id)).scalar_one()
    return violations, audit


def test_0003_turns_stored_messages_into_params(db_url):
    command.upgrade(alembic_config(url=db_url), "0002_performance")
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == "0002_performance"
        with engine.begin() as conn:
            item_id = conn.execute(Item.__table__.insert().values(
                brand="lana", platform="x", brief="Festa", goal="community", language="it", state="in_review",
                version=2, current_revision=1, archived=False, created_by="Ada", created_at=T0, updated_at=T0,
            ).returning(Item.__table__.c.id)).scalar_one()
            for number, violations in ((0, OLD_VIOLATIONS), (1, [OLD_VIOLATIONS[0], ALREADY_DATA])):
                conn.execute(Revision.__table__.insert().values(
                    item_id=item_id, number=number, text="Oggi apriamo", author="Ada", created_at=T0,
                    violations=violations))
            conn.execute(AuditEvent.__table__.insert().values(
                item_id=item_id, actor="Bea", at=T0, action="approve", from_state="in_review", to_state="approved",
                note="ok", data={"override": True, "violations": [OLD_VIOLATIONS[2]]}))

        assert upgrade(engine) is True and current_revision(engine) == head_revision()
        revisions, audit = _stored(engine, item_id)
        assert all("message" not in v for vs in revisions for v in vs)
        assert revisions[1][1] == ALREADY_DATA  # already data: left as it was
        assert revisions[0][0] == {"code": "too_long", "severity": "error", "span": [280, 300], "platform": "x",
                                   "params": EXPECTED[0][0]}
        assert audit == {"override": True, "violations": [{"code": "banned_word", "severity": "error",
                                                           "span": [5, 14], "params": EXPECTED[2][0]}]}

        q = add_people(ReviewQueue(db_url, validator=fake_validator, brand_policy=fake_policy))
        try:
            view = q.get(item_id)
        finally:
            q.close()
        first = view.revisions[0].violations
        assert [v.code for v in first] == [v["code"] for v in OLD_VIOLATIONS]
        for v, old, (params, english, italian) in zip(first, OLD_VIOLATIONS, EXPECTED):
            assert v.params == params and v.severity == old["severity"]
            assert v.span == (tuple(old["span"]) if old["span"] else None) and v.platform == old["platform"]
            assert v.message("en") == english and v.message("it") == italian
        assert all(type(first[0].params[k]) is int for k in ("count", "limit", "over"))
        assert [v.legacy_message for v in first] == [None] * 5 + [OLD_VIOLATIONS[5]["message"],
                                                                  OLD_VIOLATIONS[6]["message"]]
        assert view.revisions[1].violations[1].message("en") == 'Banned by the brand: "VIETATO" (listed as: vietato).'
        assert view.audit[0].data["violations"][0]["params"] == EXPECTED[2][0]

        # downgrade: messages rendered again (in English; kept legacy text as it was), params gone
        command.downgrade(alembic_config(url=db_url), "0002_performance")
        revisions, audit = _stored(engine, item_id)
        assert [v["message"] for v in revisions[0]] == [e for _, e, _ in EXPECTED]
        assert all("params" not in v and "legacy_message" not in v and "span" in v and "platform" in v
                   for vs in revisions for v in vs)
        assert audit["violations"][0]["message"] == EXPECTED[2][1]
        # and up again: the English messages give the same params back
        assert upgrade(engine) is True
        revisions, _ = _stored(engine, item_id)
        assert [v["params"] for v in revisions[0]] == [p for p, _, _ in EXPECTED]
    finally:
        engine.dispose()


def test_switching_a_new_file_to_wal_waits_out_another_process_doing_the_same():
    """Two processes switching one new file to WAL at once: SQLite answers one "database is locked"
    at once (both hold the shared lock; waiting would deadlock). The switch is tried again until the
    other's is done; any other error is raised as it is."""
    import sqlite3

    from assistant.db.engine import _wal

    class Cursor:
        def __init__(self, failures: list[str]) -> None:
            self.failures, self.calls = failures, 0

        def execute(self, sql: str) -> None:
            assert sql == "PRAGMA journal_mode=WAL"
            self.calls += 1
            if self.failures:
                raise sqlite3.OperationalError(self.failures.pop(0))

    busy = Cursor(["database is locked", "database is locked"])
    _wal(busy)
    assert busy.calls == 3
    broken = Cursor(["disk I/O error"])
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _wal(broken)
    assert broken.calls == 1
