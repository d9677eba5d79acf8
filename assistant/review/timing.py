"""When a post may be planned: never in the past (with a short grace for a form's round trip).

- `ReviewQueue.schedule` refuses a time earlier than the queue's clock (the system of record's
  `db.engine.utcnow`) minus `GRACE` with `ScheduleInPast`, before anything is written: no state
  change, no audit event, nothing counted towards the brand's cadence. The message says what to
  do: pick a future time, or mark the item as published if the post already went out.
- `TimeRefused` is a refusal with a `code` (the catalogue key `error.<code>`) and `params`, so a
  page or the CLI says it in the reader's language (`localised(lang)`); `str()` is the English.
  Datetimes among the params are shown in the zone `params["tz"]` (the brand's; default UTC),
  with the zone named; durations in the language's words.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant import i18n
from assistant.errors import InvalidRequest

GRACE = timedelta(minutes=2)  # a time picked "now" on a form is a little past when the click arrives


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return ZoneInfo("UTC")


class TimeRefused(InvalidRequest):
    """A time the queue or the plan cannot take, as a code and its params (see the module)."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code, self.params = code, params  # localised() reads them; the base keeps them too
        super().__init__(self.localised("en"), code=code, **params)

    def shown(self, lang: str) -> dict[str, Any]:
        """The params as the reader reads them: times in the zone (named), durations in words."""
        tz = str(self.params.get("tz") or "UTC")

        def show(value: Any) -> Any:
            if isinstance(value, datetime):
                aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
                return f"{i18n.moment(aware.astimezone(_zone(tz)), lang)} ({tz})"
            if isinstance(value, timedelta):
                return i18n.duration(value.total_seconds(), lang)
            return value

        return {key: show(value) for key, value in self.params.items()}

    def localised(self, lang: str) -> str:
        return i18n.t(f"error.{self.code}", lang, **self.shown(lang))


class ScheduleInPast(TimeRefused):
    """Scheduling at a time already past: pick a future time, or mark the item as published."""

    def __init__(self, item_id: int, at: datetime, now: datetime, tz: str = "UTC") -> None:
        self.item_id, self.at, self.now, self.tz = item_id, at, now, tz
        super().__init__("schedule_in_past", id=item_id, at=at, now=now, ago=now - at, tz=tz)


def aware(when: datetime, what: str = "when") -> datetime:
    """`when` as given, if it carries a time zone (a naive time is ambiguous: refused)."""
    if when.tzinfo is None:
        raise InvalidRequest(f"{what}: give a time zone (e.g. 2030-03-14T18:30:00+01:00)")
    return when


def not_past(item_id: int, when: datetime, now: datetime, *, tz: str = "UTC",
             grace: timedelta = GRACE) -> datetime:
    """`when` (aware), unless it is earlier than `now - grace`: then `ScheduleInPast`."""
    if when < now - grace:
        raise ScheduleInPast(item_id, when, now, tz)
    return when
