"""The review database: engines for any SQLAlchemy URL, and Alembic migrations run in code.

SQLite (the default, a file under ASSISTANT_HOME): WAL, foreign keys on and a busy timeout are
set on every connection; Python's implicit transactions are turned off and we emit BEGIN
ourselves, so that DDL is transactional and write transactions can start with BEGIN IMMEDIATE
(the write lock is taken before anything is read: two processes never both read a version and
then both try to write, and a waiting writer queues on the busy timeout instead of failing).

PostgreSQL (`ASSISTANT_DATABASE_URL=postgresql+psycopg://...`): nothing special; write safety
comes from the compare-and-swap UPDATE in `assistant.review`. Concurrent first opens of an
empty database are serialised with an advisory lock around the migrations.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from assistant.errors import ConfigError, ReviewConflict

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
T = TypeVar("T")
WRITE_ATTEMPTS = 8
BUSY_TIMEOUT_MS = 30_000
_PG_MIGRATION_LOCK = 0x436F_7079  # "Copy": pg_advisory_xact_lock key
WRITE = {"copydesk_write": True}  # execution option: this transaction will write


def make_engine(url: str) -> Engine:
    """An engine for `url`; for SQLite files, creates the parent folder and sets the pragmas."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigError(f"ASSISTANT_DATABASE_URL {url!r} is not a database URL ({exc}); "
                          "use e.g. sqlite:////path/copydesk.db or postgresql+psycopg://user@host/db") from exc
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except Exception as exc:  # e.g. a driver that is not installed
            raise ConfigError(f"cannot use database {parsed.render_as_string(hide_password=True)} ({exc}); "
                              "install its driver (e.g. `pip install psycopg[binary]`) or fix "
                              "ASSISTANT_DATABASE_URL") from exc
    options: dict = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    else:  # in-memory: one shared connection, or every session would see a new empty database
        options |= {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    engine = create_engine(parsed, **options)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    # busy_timeout first: switching a new file to WAL takes a lock that a second process opening
    # the same empty database at the same moment must wait for, not fail on.
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints, safe with WAL
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _wal(cursor) -> None:
    """`PRAGMA journal_mode=WAL`, tried again while another process switches the same new file:
    when both hold the file's shared lock and want it whole, SQLite answers one of them "database
    is locked" at once, without the busy timeout (it would be a deadlock). The other's switch is
    persistent: the retry finds WAL already on."""
    import sqlite3

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02 + 0.05 * random.random())


def _sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get("copydesk_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """Alembic configured in code: no ini file to ship or to find."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> bool:
    """`alembic upgrade head` in one transaction. Returns False (and writes nothing) when already at head."""
    head = head_revision()
    if current_revision(engine) == head:
        return False
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        if MigrationContext.configure(conn).get_current_revision() == head:  # another process did it
            return False
        command.upgrade(alembic_config(conn), "head")
    return True


def utcnow() -> datetime:
    """The system of record's clock: timezone-aware UTC (stores take another for tests)."""
    return datetime.now(timezone.utc)


class Raced(Exception):
    """The row changed between our read and our compare-and-swap: retry the whole transaction."""


class Database:
    """The system of record on one URL (migrated to head when opened), with one-transaction
    helpers: `read(fn)` and `write(fn)` call `fn(session)` inside a transaction. A write that
    lost a race (`Raced`) or met a busy SQLite database is retried whole."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._writer = self.engine.execution_options(**WRITE)
        if migrate:
            upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, fn: Callable[[Session], T]) -> T:
        with Session(self.engine) as session:
            return fn(session)

    def write(self, fn: Callable[[Session], T]) -> T:
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with Session(self._writer, expire_on_commit=False) as session, session.begin():
                    return fn(session)
            except Raced:
                pass
            except OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or attempt == WRITE_ATTEMPTS:
                    raise
            time.sleep(random.uniform(0, 0.02 * attempt))
        raise ReviewConflict("the item kept changing while saving; reload it and try again")
