"""The editorial calendar: scheduling in the brand's time zone, calendar views, warnings, best times.

Time zones. A brand plans in its own zone (`brand.yaml` `timezone`, default Europe/Rome); the
queue stores UTC. The daylight-saving edges are decided here, once (`resolve_local`):
- a wall time that does not exist (spring forward: 02:30 on 29 March 2026 in Rome) is refused
  with `InvalidRequest`, naming the time the clock shows instead (03:30);
- a wall time that happens twice (fall back: 02:30 on 25 October 2026 in Rome) is the FIRST
  occurrence (summer time, `fold=0`), deterministically; pass `fold=1` on the naive datetime, or
  an aware datetime (`2026-10-25T02:30+01:00`), for the second. `LocalTime.ambiguous` says when
  this happened, so a UI or the CLI can tell the person.

Warnings are data (`PlanWarning`: a `message_key` and its `values`); `message()` renders them
with `assistant.i18n` (the catalogues in assistant/locales).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.accounts.schemas import Actor
from assistant.errors import InvalidRequest
from assistant.knowledge.parsing import posted_time
from assistant.review.timing import TimeRefused
from assistant.text.snippets import snippet

DEFAULT_TZ = "Europe/Rome"
CLASH_WINDOW_MINUTES = 120
MIN_PLATFORM_POSTS = 20  # best times: fewer posts with a time and a figure on a platform -> no hint
MIN_SLOT_POSTS = 3  # ... and a weekday-hour slot needs at least this many posts to be ranked
SNIPPET_CHARS = 80
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")



def render(key: str, lang: str, values: Mapping[str, Any]) -> str:
    """The message for `key` from the UI catalogue (assistant/locales)."""
    from assistant.i18n import t

    try:
        return t(key, lang, **values)
    except (KeyError, IndexError, ValueError):
        return f"{key} {dict(values)}"


# --- time zones ---------------------------------------------------------------------------------

def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise InvalidRequest(f"tz: unknown time zone {tz!r}; use an IANA name such as 'Europe/Rome'") from exc


@dataclass(frozen=True)
class LocalTime:
    utc: datetime
    local: datetime  # aware, in the brand's zone (its `fold` says which occurrence)
    ambiguous: bool  # the wall time happened twice that day (the first was taken unless fold=1)


def resolve_local(local_dt: datetime, tz: str) -> LocalTime:
    """A brand-local wall time (naive) or an aware datetime -> UTC, deciding the DST edges."""
    z = zone(tz)
    if local_dt.tzinfo is not None:
        utc = local_dt.astimezone(timezone.utc)
        return LocalTime(utc, utc.astimezone(z), False)
    first = local_dt.replace(tzinfo=z, fold=0)
    shown = first.astimezone(timezone.utc).astimezone(z)
    if shown.replace(tzinfo=None) != local_dt:  # naive comparison ignores fold
        raise TimeRefused("time_skipped", time=f"{local_dt:%Y-%m-%d %H:%M}", tz=tz, instead=f"{shown:%H:%M}")
    second = local_dt.replace(tzinfo=z, fold=1)
    ambiguous = first.utcoffset() != second.utcoffset()
    chosen = second if ambiguous and local_dt.fold == 1 else first
    return LocalTime(chosen.astimezone(timezone.utc), chosen, ambiguous)


def to_local(when: datetime, tz: str) -> datetime:
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(zone(tz))


def parse_local(text: str, what: str = "at") -> datetime:
    """'2030-03-29 10:00' (brand-local, naive) or ISO 8601 with an offset (aware); else `TimeRefused`
    ("error.time_format", saying the format with an example a week from today)."""
    try:
        return datetime.fromisoformat(" ".join((text or "").split()))
    except ValueError:
        example = f"{date.today() + timedelta(days=7):%Y-%m-%d} 18:30"
        raise TimeRefused("time_format", what=what, example=example, example_offset=example.replace(" ", "T")
                          + "+01:00", got=text) from None


def schedule(queue: Any, item_id: int, local_dt: datetime, *, tz: str, by: Actor | str,
             base_version: int | None = None) -> Any:
    """Schedule (or reschedule) an approved item at a brand-local time; stored in UTC, audited by the queue
    (which refuses a time already past: `review.timing.ScheduleInPast`)."""
    return queue.schedule(item_id, resolve_local(local_dt, tz).utc, by=by, base_version=base_version)


def mark_published(queue: Any, item_id: int, *, by: Actor | str, url: str | None = None, at: datetime | None = None,
                   tz: str = DEFAULT_TZ, base_version: int | None = None) -> Any:
    """Record that a scheduled item went live: its URL and time (brand-local or aware; default now)."""
    if url is not None and not url.strip().lower().startswith(("http://", "https://")):
        raise InvalidRequest(f"url: give the live post's address (https://...), got {url!r}")
    when = resolve_local(at, tz).utc if at is not None else None
    return queue.mark_published(item_id, by=by, url=url.strip() if url else None, at=when, base_version=base_version)


# --- ranges -------------------------------------------------------------------------------------

def week_range(d: date) -> tuple[date, date]:
    """Monday..Sunday (ISO week) containing `d`."""
    monday = d - timedelta(days=d.weekday())
    return monday, monday + timedelta(days=6)


def month_range(d: date) -> tuple[date, date]:
    first = d.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def iso_week(d: date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


# --- the calendar -------------------------------------------------------------------------------

TzSpec = str | Mapping[str, str]  # one zone for all, or brand slug -> zone (others: DEFAULT_TZ)


def _tz_for(tz: TzSpec, brand: str) -> str:
    return tz if isinstance(tz, str) else tz.get(brand, DEFAULT_TZ)


@dataclass(frozen=True)
class CalendarEntry:
    item_id: int
    brand: str
    platform: str
    state: str  # scheduled | published | publish_failed
    at: datetime  # UTC: scheduled_for, or published_at once published
    local: datetime  # the same moment in the brand's zone
    tz: str
    snippet: str
    version: int
    published_url: str | None = None

    @property
    def date(self) -> date:
        return self.local.date()

    @property
    def time(self) -> str:
        return self.local.strftime("%H:%M")

    def as_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "brand": self.brand, "platform": self.platform, "state": self.state,
                "at_utc": self.at.isoformat(), "local": self.local.isoformat(), "date": self.date.isoformat(),
                "time": self.time, "tz": self.tz, "snippet": self.snippet, "version": self.version,
                "published_url": self.published_url}


def entry_of(item: Any, tz: str) -> CalendarEntry | None:
    when = (item.published_at if item.state == "published" else None) or item.scheduled_for
    if when is None:
        return None
    when = when.astimezone(timezone.utc)
    return CalendarEntry(item_id=item.id, brand=item.brand, platform=item.platform, state=item.state, at=when,
                         local=to_local(when, tz), tz=tz, snippet=snippet(item.text, SNIPPET_CHARS), version=item.version,
                         published_url=item.published_url)


def iter_items(queue: Any, *, state: str | None, brand: str | None = None) -> Iterator[Any]:
    """Every (non-archived) item in `state`, page by page."""
    page = 1
    while True:
        got = queue.list_items(state=state, brand=brand, page=page, per_page=200)
        yield from got.items
        if page >= got.pages:
            return
        page += 1


def calendar(queue: Any, *, brand: str | None = None, start: date, end: date,
             tz: TzSpec = DEFAULT_TZ) -> list[CalendarEntry]:
    """Scheduled and published items (and those whose publishing failed, at their planned time)
    whose brand-local date is in [start, end], in time order."""
    if end < start:
        raise InvalidRequest(f"end ({end}) is before start ({start})")
    entries = []
    for state in ("scheduled", "published", "publish_failed"):
        for item in iter_items(queue, state=state, brand=brand):
            entry = entry_of(item, _tz_for(tz, item.brand))
            if entry is not None and start <= entry.date <= end:
                entries.append(entry)
    return sorted(entries, key=lambda e: (e.at, e.item_id))


# --- warnings -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanWarning:
    kind: str  # clash | cadence_gap
    brand: str
    platform: str
    message_key: str
    values: dict[str, Any] = field(default_factory=dict)
    week: str | None = None  # cadence: ISO week, e.g. 2026-W13
    items: tuple[int, ...] = ()  # clash: the two item ids

    def message(self, lang: str = "en") -> str:
        return render(self.message_key, lang, self.values)

    def as_dict(self, lang: str | None = "en") -> dict[str, Any]:
        data = asdict(self) | {"items": list(self.items)}
        return data | ({"message": self.message(lang)} if lang else {})


def clashes(entries: Iterable[CalendarEntry], *, window_minutes: int = CLASH_WINDOW_MINUTES) -> list[PlanWarning]:
    """Consecutive posts of one brand on one platform closer than `window_minutes` (in real time, so
    a DST night counts its real length)."""
    groups: dict[tuple[str, str], list[CalendarEntry]] = defaultdict(list)
    for e in entries:
        groups[(e.brand, e.platform)].append(e)
    found = []
    for (brand, platform), group in sorted(groups.items()):
        group.sort(key=lambda e: (e.at, e.item_id))
        for a, b in pairwise(group):
            minutes = int((b.at - a.at).total_seconds() // 60)
            if minutes < window_minutes:
                found.append(PlanWarning(
                    "clash", brand, platform, "plan.warning.clash", items=(a.item_id, b.item_id),
                    values={"brand": brand, "platform": platform, "first": a.item_id, "second": b.item_id,
                            "minutes": minutes, "window": window_minutes,
                            "first_time": f"{a.local:%Y-%m-%d %H:%M}", "second_time": f"{b.local:%Y-%m-%d %H:%M}"}))
    return found


def cadence_gaps(entries: Iterable[CalendarEntry], cadence: Mapping[str, Mapping[str, int]], *,
                 start: date, end: date) -> list[PlanWarning]:
    """For each ISO week touching [start, end], planned + published posts per brand and platform
    against the brand's target per week (`cadence` in brand.yaml); fewer -> a warning.
    `entries` should cover whole weeks (see `plan_view`)."""
    counts: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: {"scheduled": 0, "published": 0})
    for e in entries:
        counts[(e.brand, e.platform, iso_week(e.date))][e.state] += 1
    mondays = []
    monday = week_range(start)[0]
    while monday <= end:
        mondays.append(monday)
        monday += timedelta(days=7)
    found = []
    for brand, targets in sorted(cadence.items()):
        for platform, target in sorted(targets.items()):
            for monday in mondays:
                week = iso_week(monday)
                got = counts.get((brand, platform, week), {"scheduled": 0, "published": 0})
                total = got["scheduled"] + got["published"]
                if target > 0 and total < target:
                    found.append(PlanWarning(
                        "cadence_gap", brand, platform, "plan.warning.cadence_gap", week=week,
                        values={"brand": brand, "platform": platform, "week": week, "week_start": monday.isoformat(),
                                "planned": got["scheduled"], "published": got["published"], "total": total,
                                "target": target, "missing": target - total}))
    return found


@dataclass
class PlanView:
    start: date
    end: date
    entries: list[CalendarEntry]
    warnings: list[PlanWarning]

    def as_dict(self, lang: str | None = "en") -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "entries": [e.as_dict() for e in self.entries], "warnings": [w.as_dict(lang) for w in self.warnings]}


def plan_view(queue: Any, profiles: Sequence[Any], *, start: date, end: date,
              window_minutes: int = CLASH_WINDOW_MINUTES) -> PlanView:
    """The calendar of `profiles` (BrandProfile-like: slug, timezone, cadence) for [start, end], with
    clash and cadence warnings. Whole ISO weeks are read so cadence counts and clashes at the
    edges are right; only warnings touching the range are returned."""
    tzs = {p.slug: p.timezone for p in profiles}
    wide_start, wide_end = week_range(start)[0], week_range(end)[1]
    only = profiles[0].slug if len(profiles) == 1 else None
    wide = [e for e in calendar(queue, brand=only, start=wide_start, end=wide_end, tz=tzs) if e.brand in tzs]
    in_range = {e.item_id for e in wide if start <= e.date <= end}
    warnings = [w for w in clashes(wide, window_minutes=window_minutes) if in_range.intersection(w.items)]
    warnings += cadence_gaps(wide, {p.slug: p.cadence for p in profiles}, start=start, end=end)
    return PlanView(start, end, [e for e in wide if e.item_id in in_range], warnings)


# --- best times ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    weekday: int  # 0 = Monday
    hour: int  # brand-local
    posts: int
    median: float

    @property
    def label(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.hour:02d}:00"


@dataclass(frozen=True)
class BestTimes:
    brand: str
    platform: str
    tz: str
    metric: str | None  # engagement_rate | engagement
    sample: int  # posts used: on the platform, with a time and the metric
    slots: tuple[Slot, ...] = ()  # best first; empty when the data is too thin
    reason: str | None = None  # message key when there is no hint
    values: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"slots": [asdict(s) | {"label": s.label} for s in self.slots]}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None



def best_times(posts: Iterable[Mapping[str, Any]], *, brand: str, tz: str, platform: str | None = None,
               top: int = 3, min_posts: int = MIN_PLATFORM_POSTS,
               min_slot_posts: int = MIN_SLOT_POSTS) -> list[BestTimes]:
    """When this brand's own past posts did best, per platform, by weekday and hour in its zone.

    - Metric: the median engagement rate (engagement / impressions) when at least `min_posts`
      posts on the platform have impressions; otherwise the median engagement (likes + comments
      + shares). Medians, not means, so one viral post does not make its hour "the best".
    - Thin data gives no hint, with the reason: fewer than `min_posts` posts with a time and the
      metric on the platform (`plan.best.too_few_posts`), or no slot with `min_slot_posts` posts
      (`plan.best.thin_slots`). Ties go to the slot with more posts, then the earlier one.
    """
    z = zone(tz)
    by_platform: dict[str, list[tuple[datetime, Mapping[str, Any]]]] = defaultdict(list)
    for meta in posts:
        when = posted_time(meta)
        if when is not None and meta.get("platform"):
            by_platform[str(meta["platform"])].append((when.astimezone(z), meta))
    names = [platform] if platform else sorted(by_platform)
    result = []
    for name in names:
        rows = by_platform.get(name, [])
        rated = [(w, v) for w, m in rows if (_number(m.get("impressions")) or 0) > 0
                 and (v := _number(m.get("engagement_rate"))) is not None]
        metric, used = "engagement_rate", rated
        if len(rated) < min_posts:
            metric, used = "engagement", [(w, v) for w, m in rows if (v := _number(m.get("engagement"))) is not None]
        values = {"platform": name, "sample": len(used), "min_posts": min_posts, "min_slot_posts": min_slot_posts}
        if len(used) < min_posts:
            result.append(BestTimes(brand, name, tz, metric, len(used), reason="plan.best.too_few_posts",
                                    values=values))
            continue
        slots: dict[tuple[int, int], list[float]] = defaultdict(list)
        for when, value in used:
            slots[(when.weekday(), when.hour)].append(value)
        ranked = sorted((Slot(d, h, len(v), round(statistics.median(v), 6)) for (d, h), v in slots.items()
                         if len(v) >= min_slot_posts), key=lambda s: (-s.median, -s.posts, s.weekday, s.hour))
        result.append(BestTimes(brand, name, tz, metric, len(used), tuple(ranked[:top]),
                                None if ranked else "plan.best.thin_slots", values))
    return result


def brand_best_times(knowledge: Any, profile: Any, *, platform: str | None = None, top: int = 3) -> list[BestTimes]:
    """`best_times` over the brand's own knowledge base (kinds post and approved; only posts with
    engagement figures count)."""
    metas = [d.metadata for d in knowledge.record.documents(profile.slug, kinds=["post", "approved"])]
    return best_times(metas, brand=profile.slug, tz=profile.timezone, platform=platform, top=top)
