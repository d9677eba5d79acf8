"""Scheduling never in the past (issue 12): the queue refuses a time already gone (a short grace
for a form's round trip), writes nothing, and says in the reader's language what to do instead."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from assistant.brands import BrandProfile
from assistant.errors import InvalidRequest
from assistant.plan import calendar as planning
from assistant.review import ReviewQueue
from assistant.review.timing import GRACE, ScheduleInPast, TimeRefused
from tests.factories import T0, Clock, add_people, approve_new, fake_validator

ROME = "Europe/Rome"
UTC = timezone.utc


def rome_policy(slug: str) -> SimpleNamespace:
    return SimpleNamespace(four_eyes=False, client_stage=False, timezone=ROME)


@pytest.fixture
def queue(tmp_path):
    """A queue whose brands plan in Rome, on a clock the test moves (now = T0, 2 March 2026 09:00 UTC)."""
    q = add_people(ReviewQueue(f"sqlite:///{tmp_path}/timing.db", validator=fake_validator, brand_policy=rome_policy,
                               clock=Clock(T0)))
    yield q
    q.close()


def schedules(queue, item_id: int) -> list:
    return [a for a in queue.get(item_id).audit if a.action == "schedule"]


def test_a_time_already_past_is_refused_and_nothing_is_written(queue):
    item = approve_new(queue, "Sabato laboratorio di rammendo")
    before = queue.get(item.id)
    at = T0 - timedelta(hours=3)
    with pytest.raises(ScheduleInPast) as refused:
        queue.schedule(item.id, at, by="Bea")
    exc = refused.value
    assert isinstance(exc, InvalidRequest)  # every page and the CLI already show these
    assert exc.code == "schedule_in_past" and (exc.item_id, exc.at, exc.now, exc.tz) == (item.id, at, T0, ROME)
    assert exc.params == {"id": item.id, "at": at, "now": T0, "ago": timedelta(hours=3), "tz": ROME}
    after = queue.get(item.id)
    assert (after.state, after.version, after.scheduled_for) == ("approved", before.version, None)
    assert schedules(queue, item.id) == [] and len(after.audit) == len(before.audit)


def test_the_refusal_says_what_to_do_in_italian_and_english(queue):
    item = approve_new(queue, "Sabato laboratorio di rammendo")
    with pytest.raises(ScheduleInPast) as refused:
        queue.schedule(item.id, datetime(2026, 3, 1, 17, 30, tzinfo=UTC), by="Bea")  # 18:30 in Rome, the day before
    exc = refused.value
    en, it = exc.localised("en"), exc.localised("it")
    assert str(exc) == en  # the English message for logs and the API
    assert en.startswith(f"Item #{item.id} cannot be scheduled for Mar 1, 2026, 6:30")
    assert "(Europe/Rome)" in en and "(16 hours ago)" in en
    assert "Pick a time in the future" in en and "mark it as published" in en
    assert it.startswith(f"Il contenuto n. {item.id} non si può programmare per il 1 mar 2026, 18:30 (Europe/Rome)")
    assert "(16 ore fa)" in it and "Scegli un orario futuro" in it and "segnalo come pubblicato" in it


def test_a_time_just_now_is_within_the_grace_and_the_future_is_taken(queue):
    first, second = approve_new(queue, "Uno"), approve_new(queue, "Due")
    just_now = T0 - timedelta(seconds=60)  # the form's round trip
    assert GRACE >= timedelta(minutes=1)
    assert queue.schedule(first.id, just_now, by="Bea").scheduled_for == just_now
    with pytest.raises(ScheduleInPast):
        queue.schedule(second.id, T0 - GRACE - timedelta(seconds=1), by="Bea")
    later = T0 + timedelta(days=3)
    done = queue.schedule(second.id, later, by="Bea")
    assert (done.state, done.scheduled_for) == ("scheduled", later)
    assert [a.data["scheduled_for"] for a in schedules(queue, second.id)] == [later.isoformat()]


def test_a_reschedule_into_the_past_keeps_the_planned_time(queue):
    item = approve_new(queue, "Uno")
    planned = queue.schedule(item.id, T0 + timedelta(days=2), by="Bea")
    queue.clock.advance(3600)
    with pytest.raises(ScheduleInPast):
        queue.schedule(item.id, T0, by="Cris", base_version=planned.version)
    after = queue.get(item.id)
    assert (after.state, after.scheduled_for, after.version) == ("scheduled", planned.scheduled_for, planned.version)
    assert [a.actor for a in schedules(queue, item.id)] == ["Bea"]


def test_a_refused_schedule_does_not_count_towards_the_cadence(queue):
    kept = approve_new(queue, "Lunedì si lavora la lana")
    refused = approve_new(queue, "Domenica scorsa in bottega")
    planning.schedule(queue, kept.id, datetime(2026, 3, 2, 18, 0), tz=ROME, by="Bea")  # today, later on
    with pytest.raises(ScheduleInPast):
        planning.schedule(queue, refused.id, datetime(2026, 3, 2, 8, 0), tz=ROME, by="Bea")  # this morning: gone
    lana = BrandProfile(slug="lana", name="Lana", language="it", voice="Caldo.", timezone=ROME,
                        cadence={"instagram": 2})
    view = planning.plan_view(queue, [lana], start=date(2026, 3, 2), end=date(2026, 3, 8))
    assert [e.item_id for e in view.entries] == [kept.id]
    (gap,) = [w for w in view.warnings if w.kind == "cadence_gap"]
    assert (gap.values["planned"], gap.values["total"], gap.values["missing"]) == (1, 1, 1)


def test_the_way_out_marks_an_approved_item_published_at_that_time(queue):
    item = approve_new(queue, "Domenica scorsa in bottega")
    with pytest.raises(ScheduleInPast) as refused:
        planning.schedule(queue, item.id, datetime(2026, 3, 1, 18, 30), tz=ROME, by="Bea")
    done = planning.mark_published(queue, item.id, by="Bea", url="https://instagram.com/p/xyz", at=refused.value.at,
                                   tz=ROME)
    assert (done.state, done.published_at, done.published_url) == (
        "published", datetime(2026, 3, 1, 17, 30, tzinfo=UTC), "https://instagram.com/p/xyz")
    last = queue.get(item.id).audit[-1]
    assert (last.action, last.from_state, last.to_state) == ("publish", "approved", "published")
    assert last.data["published_at"] == "2026-03-01T17:30:00+00:00" and schedules(queue, item.id) == []


def test_bad_times_are_refused_with_a_code_in_both_languages():
    with pytest.raises(TimeRefused) as bad:
        planning.parse_local("29/03/2030 10:00", "--at")
    assert bad.value.code == "time_format" and bad.value.params["got"] == "29/03/2030 10:00"
    assert "--at: write the date and time as YYYY-MM-DD HH:MM" in bad.value.localised("en")
    assert "--at: scrivi data e ora come AAAA-MM-GG HH:MM" in bad.value.localised("it")
    assert '"29/03/2030 10:00"' in bad.value.localised("it")
    example = bad.value.params["example"]
    assert datetime.fromisoformat(example).date() > date.today()  # the example is a time one could take
    with pytest.raises(TimeRefused) as skipped:
        planning.resolve_local(datetime(2030, 3, 31, 2, 30), ROME)  # the clocks go forward that night
    assert skipped.value.code == "time_skipped" and skipped.value.params["instead"] == "03:30"
    assert "2030-03-31 02:30 does not exist in Europe/Rome" in str(skipped.value)
    assert "2030-03-31 02:30 non esiste nel fuso Europe/Rome" in skipped.value.localised("it")
