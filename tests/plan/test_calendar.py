"""The editorial calendar: time zones and DST edges, calendar views, clash and cadence rules, best times."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from assistant.plan import calendar as planning
from assistant.brands import BrandProfile
from assistant.errors import InvalidRequest
from tests.factories import approve_new, sqlite_queue  # noqa: F401 (fixture)

ROME = "Europe/Rome"
UTC = timezone.utc


@pytest.fixture
def queue(sqlite_queue):
    return sqlite_queue


def approved(queue, text="Oggi in bottega si lavora la lana", *, brand="lana", platform="instagram"):
    return approve_new(queue, text, brand=brand, platform=platform)


def scheduled(queue, local: datetime, *, tz=ROME, **kw):
    return planning.schedule(queue, approved(queue, **kw).id, local, tz=tz, by="Bea")


def profile(slug="lana", tz=ROME, cadence=None):
    return BrandProfile(slug=slug, name=slug.title(), language="it", voice="Caldo.", timezone=tz,
                        cadence=cadence or {})


# --- time zones and daylight saving -------------------------------------------------------------

def test_2026_dst_sundays_in_rome_are_the_last_sundays_of_march_and_october():
    z = ZoneInfo(ROME)
    for month, day in ((3, 29), (10, 25)):
        d = date(2026, month, day)
        assert d.weekday() == 6 and (d + timedelta(days=7)).month != month  # the last Sunday
        before = datetime(2026, month, day, 0, 30, tzinfo=z).utcoffset()
        after = datetime(2026, month, day, 4, 0, tzinfo=z).utcoffset()
        assert before != after
    assert datetime(2026, 3, 29, 4, tzinfo=z).utcoffset() == timedelta(hours=2)
    assert datetime(2026, 10, 25, 4, tzinfo=z).utcoffset() == timedelta(hours=1)


def test_local_to_utc_and_back():
    winter = planning.resolve_local(datetime(2026, 3, 14, 18, 30), ROME)
    assert winter.utc == datetime(2026, 3, 14, 17, 30, tzinfo=UTC) and not winter.ambiguous
    summer = planning.resolve_local(datetime(2026, 3, 29, 10, 0), ROME)
    assert summer.utc == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    back = planning.to_local(summer.utc, ROME)
    assert back.replace(tzinfo=None) == datetime(2026, 3, 29, 10, 0) and back.utcoffset() == timedelta(hours=2)
    aware = planning.resolve_local(datetime(2026, 3, 29, 10, 0, tzinfo=timezone(timedelta(hours=2))), ROME)
    assert aware.utc == summer.utc
    london = planning.resolve_local(datetime(2026, 3, 29, 10, 0), "Europe/London")  # BST from 29 March too
    assert london.utc == datetime(2026, 3, 29, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("wall", [datetime(2026, 3, 29, 2, 0), datetime(2026, 3, 29, 2, 30),
                                  datetime(2026, 3, 29, 2, 59)])
def test_a_time_that_does_not_exist_is_refused_with_the_hour_after(wall):
    with pytest.raises(InvalidRequest) as err:
        planning.resolve_local(wall, ROME)
    message = str(err.value)
    assert "does not exist" in message and f"{wall:%Y-%m-%d %H:%M}" in message
    assert f"e.g. 03:{wall:%M}" in message
    assert planning.resolve_local(datetime(2026, 3, 29, 3, 0), ROME).utc == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert planning.resolve_local(datetime(2026, 3, 29, 1, 59), ROME).utc == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)


def test_london_gap_suggests_its_own_hour():
    with pytest.raises(InvalidRequest, match="e.g. 02:30"):
        planning.resolve_local(datetime(2026, 3, 29, 1, 30), "Europe/London")


def test_an_ambiguous_time_is_the_first_occurrence_unless_fold_1():
    first = planning.resolve_local(datetime(2026, 10, 25, 2, 30), ROME)
    assert first.ambiguous and first.utc == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # still summer time
    assert first.local.utcoffset() == timedelta(hours=2)
    second = planning.resolve_local(datetime(2026, 10, 25, 2, 30, fold=1), ROME)
    assert second.ambiguous and second.utc == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    explicit = planning.resolve_local(planning.parse_local("2026-10-25T02:30+01:00"), ROME)
    assert explicit.utc == second.utc and not explicit.ambiguous
    plain = planning.resolve_local(datetime(2026, 10, 25, 3, 30), ROME)
    assert not plain.ambiguous and plain.utc == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)


def test_parse_local_and_unknown_zone():
    assert planning.parse_local("2026-03-29 10:00") == datetime(2026, 3, 29, 10, 0)
    assert planning.parse_local(" 2026-03-29T10:00 ") == datetime(2026, 3, 29, 10, 0)
    with pytest.raises(InvalidRequest, match="YYYY-MM-DD HH:MM"):
        planning.parse_local("29/03/2026 10:00")
    with pytest.raises(InvalidRequest, match="unknown time zone"):
        planning.resolve_local(datetime(2026, 3, 29, 10), "Europe/Atlantis")


def test_schedule_goes_through_the_queue_in_utc_and_is_audited(queue):
    item = approved(queue)
    done = planning.schedule(queue, item.id, datetime(2026, 3, 29, 10, 0), tz=ROME, by="Bea")
    assert done.state == "scheduled" and done.scheduled_for == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    again = planning.schedule(queue, item.id, datetime(2026, 10, 25, 2, 30), tz=ROME, by="Cris",
                              base_version=done.version)
    assert again.scheduled_for == datetime(2026, 10, 25, 0, 30, tzinfo=UTC) and again.version == done.version + 1
    audit = [a for a in queue.get(item.id).audit if a.action == "schedule"]
    assert [(a.actor, a.data["scheduled_for"]) for a in audit] == [
        ("Bea", "2026-03-29T08:00:00+00:00"), ("Cris", "2026-10-25T00:30:00+00:00")]


def test_a_refused_time_writes_nothing(queue):
    item = approved(queue)
    with pytest.raises(InvalidRequest, match="03:30"):
        planning.schedule(queue, item.id, datetime(2026, 3, 29, 2, 30), tz=ROME, by="Bea")
    after = queue.get(item.id)
    assert after.state == "approved" and after.version == item.version and after.scheduled_for is None


def test_mark_published_records_url_and_local_time(queue):
    item = scheduled(queue, datetime(2026, 3, 29, 10, 0))
    with pytest.raises(InvalidRequest, match="url"):
        planning.mark_published(queue, item.id, by="Bea", url="instagram.com/p/1", tz=ROME)
    done = planning.mark_published(queue, item.id, by="Bea", url="https://instagram.com/p/1",
                                   at=datetime(2026, 3, 29, 10, 2), tz=ROME)
    assert done.state == "published" and done.published_url == "https://instagram.com/p/1"
    assert done.published_at == datetime(2026, 3, 29, 8, 2, tzinfo=UTC)


# --- ranges and the calendar --------------------------------------------------------------------

def test_week_and_month_ranges():
    assert planning.week_range(date(2026, 3, 29)) == (date(2026, 3, 23), date(2026, 3, 29))
    assert planning.week_range(date(2026, 3, 30)) == (date(2026, 3, 30), date(2026, 4, 5))
    assert planning.month_range(date(2026, 2, 14)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert planning.month_range(date(2026, 12, 31)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert planning.iso_week(date(2026, 3, 29)) == "2026-W13" and planning.iso_week(date(2027, 1, 1)) == "2026-W53"


def test_calendar_in_each_brands_zone(queue):
    late = scheduled(queue, datetime(2026, 3, 29, 0, 30), text="Mezzanotte e mezza a Schio")  # 28 March UTC
    other = scheduled(queue, datetime(2026, 3, 29, 9, 0), tz="Europe/London", brand="tea", platform="linkedin")
    published = scheduled(queue, datetime(2026, 3, 30, 18, 0))
    planning.mark_published(queue, published.id, by="Bea", url="https://x.example/1", at=datetime(2026, 4, 1, 9, 0),
                            tz=ROME)
    approved(queue)  # approved, not scheduled: not on the calendar
    tzs = {"lana": ROME, "tea": "Europe/London"}
    entries = planning.calendar(queue, start=date(2026, 3, 29), end=date(2026, 3, 29), tz=tzs)
    assert [(e.item_id, e.brand, e.date, e.time, e.tz) for e in entries] == [
        (late.id, "lana", date(2026, 3, 29), "00:30", ROME), (other.id, "tea", date(2026, 3, 29), "09:00",
                                                             "Europe/London")]
    assert entries[0].at == datetime(2026, 3, 28, 23, 30, tzinfo=UTC) and entries[0].snippet.startswith("Mezzanotte")
    assert [e.item_id for e in planning.calendar(queue, brand="tea", start=date(2026, 3, 1), end=date(2026, 4, 30),
                                                 tz=tzs)] == [other.id]
    week = planning.calendar(queue, brand="lana", start=date(2026, 3, 30), end=date(2026, 4, 5), tz=tzs)
    assert [(e.item_id, e.state, e.date, e.time, e.published_url) for e in week] == [
        (published.id, "published", date(2026, 4, 1), "09:00", "https://x.example/1")]
    assert week[0].as_dict()["local"] == "2026-04-01T09:00:00+02:00"
    with pytest.raises(InvalidRequest):
        planning.calendar(queue, start=date(2026, 4, 2), end=date(2026, 4, 1))


# --- warnings -----------------------------------------------------------------------------------

def test_clash_rule(queue):
    a = scheduled(queue, datetime(2026, 3, 24, 10, 0))
    b = scheduled(queue, datetime(2026, 3, 24, 11, 0))  # 60 min after a: clash
    scheduled(queue, datetime(2026, 3, 24, 13, 0))  # 120 min after b: not a clash (closer than the window only)
    scheduled(queue, datetime(2026, 3, 24, 11, 30), platform="facebook")  # other platform
    scheduled(queue, datetime(2026, 3, 24, 11, 15), brand="tea")  # other brand
    entries = planning.calendar(queue, start=date(2026, 3, 23), end=date(2026, 3, 29))
    found = planning.clashes(entries)
    assert len(found) == 1
    w = found[0]
    assert (w.kind, w.brand, w.platform, w.items) == ("clash", "lana", "instagram", (a.id, b.id))
    assert w.values | {} == {"brand": "lana", "platform": "instagram", "first": a.id, "second": b.id, "minutes": 60,
                             "window": 120, "first_time": "2026-03-24 10:00", "second_time": "2026-03-24 11:00"}
    assert planning.clashes(entries, window_minutes=30) == []
    assert len(planning.clashes(entries, window_minutes=121)) == 2


def test_clashes_count_real_minutes_across_the_dst_night(queue):
    scheduled(queue, datetime(2026, 3, 29, 1, 30))
    scheduled(queue, datetime(2026, 3, 29, 3, 30))  # two hours on the clock, one in reality
    entries = planning.calendar(queue, start=date(2026, 3, 29), end=date(2026, 3, 29))
    (w,) = planning.clashes(entries)
    assert w.values["minutes"] == 60


def test_cadence_gaps_per_iso_week(queue):
    for day in (23, 25):
        scheduled(queue, datetime(2026, 3, day, 18, 0))
    done = scheduled(queue, datetime(2026, 3, 27, 18, 0))
    planning.mark_published(queue, done.id, by="Bea", url="https://x.example/2", at=datetime(2026, 3, 27, 18, 1),
                            tz=ROME)
    scheduled(queue, datetime(2026, 3, 31, 18, 0))
    view = planning.plan_view(queue, [profile(cadence={"instagram": 3, "facebook": 1})],
                              start=date(2026, 3, 23), end=date(2026, 4, 5))
    gaps = {(w.platform, w.week): w for w in view.warnings if w.kind == "cadence_gap"}
    assert set(gaps) == {("facebook", "2026-W13"), ("facebook", "2026-W14"), ("instagram", "2026-W14")}
    assert gaps[("instagram", "2026-W14")].values == {
        "brand": "lana", "platform": "instagram", "week": "2026-W14", "week_start": "2026-03-30", "planned": 1,
        "published": 0, "total": 1, "target": 3, "missing": 2}
    assert gaps[("facebook", "2026-W13")].values["missing"] == 1
    assert len(view.entries) == 4 and not [w for w in view.warnings if w.kind == "clash"]


def test_plan_view_reads_whole_weeks_but_returns_the_range(queue):
    scheduled(queue, datetime(2026, 3, 30, 9, 0))  # Monday
    scheduled(queue, datetime(2026, 3, 31, 9, 0))  # Tuesday
    view = planning.plan_view(queue, [profile(cadence={"instagram": 2})], start=date(2026, 3, 31),
                              end=date(2026, 3, 31))
    assert [e.date for e in view.entries] == [date(2026, 3, 31)]
    assert view.warnings == []  # both posts of the week count toward the target
    data = view.as_dict("it")
    assert data["start"] == "2026-03-31" and data["entries"][0]["time"] == "09:00"


def _post(local: datetime, *, platform="instagram", engagement=None, impressions=None, rate=None, tz=ROME):
    when = local.replace(tzinfo=ZoneInfo(tz))
    meta = {"kind": "post", "platform": platform, "posted_at": when.isoformat(),
            "posted_ts": int(when.timestamp())}
    meta |= {k: v for k, v in (("engagement", engagement), ("impressions", impressions),
                              ("engagement_rate", rate)) if v is not None}
    return meta


def _week(n: int) -> date:
    return date(2026, 1, 5) + timedelta(days=7 * n)  # Mondays


def test_best_times_rank_by_median_rate_in_the_brands_zone():
    posts = []
    for n in range(8):  # Fridays 18:00 local (17:00 UTC in winter, 16:00 in summer): best rate
        friday = _week(n + 10) + timedelta(days=4)  # mid March to early May: crosses the DST change
        posts.append(_post(datetime.combine(friday, datetime.min.time()).replace(hour=18), engagement=50,
                           impressions=1000, rate=0.05 + n / 1000))
    for n in range(8):  # Tuesdays 09:00: more engagement, lower rate
        posts.append(_post(datetime.combine(_week(n) + timedelta(days=1), datetime.min.time()).replace(hour=9),
                           engagement=400, impressions=20000, rate=0.02))
    posts.append(_post(datetime(2026, 2, 1, 21, 0), engagement=9000, impressions=10000, rate=0.9))  # one viral post
    for n in range(4):
        posts.append(_post(datetime(2026, 2, 2 + n, 7, 0), engagement=1, impressions=1000, rate=0.001))
    posts.append(_post(datetime(2026, 2, 9, 7, 0), platform="x", engagement=3))
    (hint,) = planning.best_times(posts, brand="lana", tz=ROME, platform="instagram")
    assert hint.metric == "engagement_rate" and hint.sample == 21 and hint.reason is None
    assert [(s.label, s.posts) for s in hint.slots] == [("Fri 18:00", 8), ("Tue 09:00", 8)]
    assert hint.slots[0].median == pytest.approx(0.0535)
    data = hint.as_dict()
    assert data["slots"][0]["label"] == "Fri 18:00" and data["tz"] == ROME
    by_platform = {h.platform: h for h in planning.best_times(posts, brand="lana", tz=ROME)}
    assert set(by_platform) == {"instagram", "x"} and by_platform["x"].reason == "plan.best.too_few_posts"


def test_best_times_fall_back_to_engagement_without_impressions():
    posts = [_post(datetime(2026, 1, 5, 12, 0) + timedelta(days=7 * n), engagement=10 + n) for n in range(10)]
    posts += [_post(datetime(2026, 1, 7, 19, 0) + timedelta(days=7 * n), engagement=40) for n in range(10)]
    (hint,) = planning.best_times(posts, brand="lana", tz=ROME)
    assert hint.metric == "engagement" and hint.sample == 20
    assert [(s.label, s.median) for s in hint.slots] == [("Wed 19:00", 40), ("Mon 12:00", 14.5)]


def test_thin_data_gives_no_hint_and_says_why():
    few = [_post(datetime(2026, 1, 5, 12, 0) + timedelta(days=7 * n), engagement=5) for n in range(19)]
    (hint,) = planning.best_times(few, brand="lana", tz=ROME)
    assert hint.slots == () and hint.reason == "plan.best.too_few_posts" and hint.sample == 19
    assert "only 19 past posts" in planning.render(hint.reason, "en", hint.values)
    assert "solo 19 post" in planning.render(hint.reason, "it", hint.values)
    scattered = [_post(datetime(2026, 1, 5, 0, 0) + timedelta(hours=5 * n), engagement=5) for n in range(24)]
    (hint,) = planning.best_times(scattered, brand="lana", tz=ROME)
    assert hint.slots == () and hint.reason == "plan.best.thin_slots" and hint.sample == 24
    (none,) = planning.best_times([], brand="lana", tz=ROME, platform="tiktok")
    assert none.sample == 0 and none.reason == "plan.best.too_few_posts"


def test_best_times_from_the_brands_own_collection(services):
    brand = services.brand("bottega-pasubio")
    services.knowledge.index_brand(brand)
    hints = {h.platform: h for h in planning.brand_best_times(services.knowledge, brand.profile)}
    assert hints["instagram"].sample == 24 and hints["instagram"].slots[0].label == "Fri 18:00"
    assert hints["instagram"].slots[0].posts >= 3 and hints["instagram"].tz == "Europe/Rome"
    assert hints["tiktok"].slots == () and hints["tiktok"].reason == "plan.best.too_few_posts"
    only = planning.brand_best_times(services.knowledge, brand.profile, platform="facebook")
    assert [h.platform for h in only] == ["facebook"]
