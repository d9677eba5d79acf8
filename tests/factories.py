"""Shared review-queue fixtures and factories (imported by the other tests/test_review*.py).

Storage tests run on a real SQLite file, and on PostgreSQL when ASSISTANT_TEST_DATABASE_URL
points at a throwaway database (its review tables are dropped before and after each test).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from assistant.drafting.schemas import Draft
from assistant.review import ReviewQueue

PG_URL = os.environ.get("ASSISTANT_TEST_DATABASE_URL")
PG_SKIP = "PostgreSQL: set ASSISTANT_TEST_DATABASE_URL=postgresql+psycopg://user@host/throwaway_db to run"
FOUR_EYES_BRANDS = {"strict-brand"}
CLIENT_STAGE_BRANDS = {"client-brand"}  # approval: [internal, client]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def fake_validator(text: str, *, platform: str, brand: str, language: str | None) -> list[dict[str, Any]]:
    """Errors for the word VIETATO, a warning for '!!': enough to drive the approval gate."""
    out = []
    if "VIETATO" in text:
        out.append({"code": "banned_word", "severity": "error", "params": {"found": "VIETATO", "word": "vietato"}})
    if "!!" in text:
        out.append({"code": "exclamations", "severity": "warning", "legacy_message": "too many exclamation marks"})
    return out


def fake_policy(slug: str) -> SimpleNamespace:
    return SimpleNamespace(four_eyes=slug in FOUR_EYES_BRANDS, client_stage=slug in CLIENT_STAGE_BRANDS)


class Clock:
    """A clock the tests move by hand, so that times to approval are exact."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def future_slot(weeks: int = 3, *, hour: int = 18, minute: int = 30, tz: str = "Europe/Rome") -> datetime:
    """A brand-local wall time safely ahead of the real clock (scheduling in the past is refused):
    the Monday `weeks` weeks after this week's, at hour:minute in `tz`; naive, as a page or the CLI
    gives it."""
    from datetime import time
    from zoneinfo import ZoneInfo

    from assistant.db.engine import utcnow

    today = utcnow().astimezone(ZoneInfo(tz)).date()
    return datetime.combine(today - timedelta(days=today.weekday()) + timedelta(weeks=weeks), time(hour, minute))


def future_moment(weeks: int = 3, *, hour: int = 18, minute: int = 30, tz: str = "Europe/Rome") -> datetime:
    """`future_slot` as an aware UTC datetime (what `ReviewQueue.schedule` takes)."""
    from zoneinfo import ZoneInfo

    return future_slot(weeks, hour=hour, minute=minute, tz=tz).replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def make_draft(text: str = "Oggi apriamo la bottega a Schio con una festa", *, brand: str = "lana",
               platform: str = "instagram", violations: list[dict[str, Any]] | None = None,
               provider: str = "fake", model: str = "fake-1", prompt_version: str = "post@1", **extra: Any) -> Draft:
    return Draft(brand=brand, platform=platform, variant=1, text=text, language="it", brief="Festa in bottega",
                 goal="community", provider=provider, model=model, prompt_version=prompt_version, prompt_tokens=812,
                 completion_tokens=64, cost_usd=0.00042, latency_ms=900, violations=violations or [],
                 sources=[{"id": "s1", "kind": "post", "score": 0.81, "snippet": "Maglioni", "text": "Maglioni in lana",
                           "metadata": {"platform": "instagram"}}], **extra)


# The people of the tests: approvers on every brand (approver includes every editor action), so
# that `by="Ada"` names an active user; the permission tests make their own narrower users.
PEOPLE = ("Ada", "Bea", "Cris", "Dario", "Marco")


def add_people(queue, people=PEOPLE, role: str = "approver"):
    """An administrator ("root") and `people` with `role` on all brands, in the queue's database."""
    directory = queue.people
    if directory.count() == 0:
        directory.add("root", name="Root Admin", grants=[("admin", None)])
    root = directory.actor("root")
    known = {u.username for u in directory.list()}
    for name in people:
        if name.lower() not in known:
            directory.add(name.lower(), name=name, grants=[(role, None)], by=root)
    return queue


def drop_review_tables(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        for table in ("notifications", "publish_jobs", "publish_connections", "media_attachments", "media", "desk_drafts", "desk_turns", "desk_sessions", "knowledge_docs", "knowledge_brands", "performance", "review_audit", "review_comments",
                      "review_revisions", "share_links", "auth_sessions", "auth_events", "user_roles", "review_items",
                      "users", "alembic_version"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/review.db"
        return
    if not PG_URL:
        pytest.skip(PG_SKIP)
    drop_review_tables(PG_URL)
    yield PG_URL
    drop_review_tables(PG_URL)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(db_url, clock):
    q = add_people(ReviewQueue(db_url, validator=fake_validator, brand_policy=fake_policy, clock=clock))
    yield q
    q.close()


@pytest.fixture
def sqlite_queue(tmp_path):
    """A queue on a SQLite file with a test clock, for tests that are not about storage backends."""
    q = add_people(ReviewQueue(f"sqlite:///{tmp_path}/review.db", validator=fake_validator, brand_policy=fake_policy,
                               clock=Clock()))
    yield q
    q.close()


def approve_new(queue, text: str, *, brand: str = "lana", platform: str = "instagram"):
    """A new item with `text`, submitted by Ada and approved by Bea."""
    item = queue.add_draft(make_draft(text, brand=brand, platform=platform), by="Ada", submit=True)
    return queue.approve(item.id, by="Bea")
