"""The hand-off to the tools that publish: an iCalendar feed, scheduler bulk-upload files, and a
generic CSV / JSON of everything.

- Each scheduler format is defined once, as data (`SchedulerFormat`): columns, header, date
  format, row builder and the constraints its documentation states, with the source and the date
  it was checked. Times are written in the brand's zone: set the scheduler account's (Hootsuite)
  or channel's (Buffer) time zone to the brand's.
- What would make a scheduler reject the file (text over the platform's limit, a time in the past
  or too soon, a time off the 5-minute grid, too many rows, several platforms in one file) is
  reported per item (`ExportProblem`), never fixed silently: the file is written as the items are.
- `export()` reads the queue: scheduled items (and published ones, for the calendar feed) go out
  with their time; approved items need a time (`times`), else they are reported and left out.
  With `mark_scheduled`, those approved items become `scheduled` at that time through the queue
  (audited), and only when the file has no errors.
- Every cell of every CSV (scheduler files and the generic one) goes through `neutralise_cell`
  (`plan.cells`), so that text from a post can never run as a spreadsheet formula (CSV injection);
  in the calendar feed only http(s) addresses become the event's URL (`assistant.text.urls.safe_link`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from assistant.accounts.schemas import Actor
from assistant.plan import calendar as planning
from assistant.plan.cells import needs_neutralising, neutralised
from assistant.errors import AssistantError, InvalidRequest
from assistant.text.snippets import snippet
from assistant.text.urls import safe_link

EVENT_MINUTES = 15
PRODID = "-//Copydesk//Editorial calendar//EN"


# --- the scheduler formats, as data -------------------------------------------------------------

Row = Callable[[Any, str], list[str]]  # (item, its brand-local time in `date_format`) -> cells in column order


@dataclass(frozen=True)
class SchedulerFormat:
    name: str
    label: str
    columns: tuple[str, ...]
    header: bool  # the file starts with `columns` as its first row
    date_format: str  # strftime, brand-local time
    row: Row
    source: str
    checked: str
    max_rows: int | None = None
    min_lead_minutes: int = 0  # a time must be at least this far ahead (0: not in the past)
    minute_step: int | None = None  # minutes must be a multiple of this
    one_platform_per_file: bool = True
    notes: str = ""


# Hootsuite Planner, bulk composer ("Bulk schedule posts": https://help.hootsuite.com/s/article/bulk-schedule,
# checked 2026-11-26; that page was not in the project's search library, so the layout below is the one
# independent descriptions agree on: three columns, no header row: date and time (24-hour, the date format
# chosen in the upload dialog), post text, optional link; up to 350 posts; at least 10 minutes ahead;
# minutes ending in 0 or 5; the profiles to post to are picked in the dialog, so one platform per file).
HOOTSUITE = SchedulerFormat(
    name="hootsuite", label="Hootsuite", columns=("Date", "Message", "Link"), header=False,
    date_format="%d/%m/%Y %H:%M", row=lambda item, when: [when, item.text, ""],
    source="https://help.hootsuite.com/s/article/bulk-schedule", checked="2026-11-26",
    max_rows=350, min_lead_minutes=10, minute_step=5,
    notes="In Hootsuite choose the date format 'dd/mm/yyyy hh:mm' when uploading, and the brand's time zone "
          "in your Hootsuite account settings.")

# Buffer, bulk upload ("How to upload posts in bulk to Buffer":
# https://support.buffer.com/article/926-how-to-upload-posts-in-bulk-to-buffer, checked 2026-11-26 through
# projects that cite it): header `Text,Image URL,Tags,Posting Time` (case-sensitive); Posting Time
# `YYYY-MM-DD HH:mm`, 24-hour, in the channel's time zone; Text or Image URL required; one channel per
# upload; 100 posts per channel per file on paid plans (10 on the free plan).
BUFFER = SchedulerFormat(
    name="buffer", label="Buffer", columns=("Text", "Image URL", "Tags", "Posting Time"), header=True,
    date_format="%Y-%m-%d %H:%M", row=lambda item, when: [item.text, "", "", when],
    source="https://support.buffer.com/article/926-how-to-upload-posts-in-bulk-to-buffer", checked="2026-11-26",
    max_rows=100, notes="Upload from the channel's settings (Bulk upload); the channel's time zone must be the "
                        "brand's. The free plan takes 10 posts per file.")

SCHEDULERS: dict[str, SchedulerFormat] = {f.name: f for f in (HOOTSUITE, BUFFER)}
FORMATS = ("ics", *SCHEDULERS, "csv", "json")
MEDIA_TYPES = {"ics": "text/calendar", "csv": "text/csv", "json": "application/json"}
# which states each format reads (None: every state); approved items need a time to be in a timed file
SELECTION: dict[str, tuple[str | None, ...]] = {"ics": ("scheduled", "published", "approved"), "csv": (None,),
                                                 "json": (None,)} | {n: ("scheduled", "approved") for n in SCHEDULERS}


# --- the report ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportProblem:
    code: str  # message key without the `export.` prefix
    severity: str  # error: the scheduler would refuse the file; warning: left out or informational
    item_id: int | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        return planning.render(f"export.{self.code}", lang, self.values)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return asdict(self) | {"message": self.message(lang)}


@dataclass
class ExportReport:
    brand: str
    format: str
    filename: str
    media_type: str
    item_ids: list[int] = field(default_factory=list)  # in the file, in file order
    problems: list[ExportProblem] = field(default_factory=list)
    marked_scheduled: list[int] = field(default_factory=list)
    notes: str = ""

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"brand": self.brand, "format": self.format, "filename": self.filename, "media_type": self.media_type,
                "rows": len(self.item_ids), "item_ids": self.item_ids, "ok": self.ok,
                "problems": [p.as_dict(lang) for p in self.problems], "marked_scheduled": self.marked_scheduled,
                "notes": self.notes}


def _when(item: Any) -> datetime | None:
    return (item.published_at if item.state == "published" else None) or item.scheduled_for


def check(items: Sequence[Any], fmt: SchedulerFormat, *, tz: str, now: datetime,
          rules: Mapping[str, Any] | None = None) -> list[ExportProblem]:
    """Everything in `items` that `fmt`'s scheduler would refuse (none of it is changed)."""
    from assistant import platforms

    problems: list[ExportProblem] = []
    common = {"scheduler": fmt.label}
    table = rules if rules is not None else platforms.get_rules()
    if fmt.max_rows is not None and len(items) > fmt.max_rows:
        problems.append(ExportProblem("too_many_rows", "error", values=common | {"rows": len(items),
                                                                                   "max_rows": fmt.max_rows}))
    used = sorted({i.platform for i in items})
    if fmt.one_platform_per_file and len(used) > 1:
        problems.append(ExportProblem("mixed_platforms", "error", values=common | {"platforms": ", ".join(used)}))
    for item in items:
        when = _when(item)
        local = planning.to_local(when, tz)
        base = common | {"item": item.id, "time": f"{local:%Y-%m-%d %H:%M}"}
        rule = table.get(item.platform)
        count = platforms.count(item.text, item.platform, table) if rule is not None else 0
        if rule is not None and count > rule.limit:
            problems.append(ExportProblem("text_too_long", "error", item.id, base | {
                "count": count, "limit": rule.limit, "platform": rule.label}))
        if when <= now:
            problems.append(ExportProblem("time_in_past", "error", item.id, base))
        elif when < now + timedelta(minutes=fmt.min_lead_minutes):
            problems.append(ExportProblem("too_soon", "error", item.id, base | {"min_lead": fmt.min_lead_minutes}))
        if fmt.minute_step and (local.minute % fmt.minute_step or local.second or local.microsecond):
            problems.append(ExportProblem("not_on_step", "error", item.id, base | {"step": fmt.minute_step}))
    return problems


# --- writers: a list of items in, bytes out -----------------------------------------------------

def _ordered(items: Sequence[Any]) -> list[Any]:
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(items, key=lambda i: (_when(i) or far, i.id))


def _scheduler_rows(items: Sequence[Any], fmt: SchedulerFormat, *, tz: str) -> list[tuple[Any, list[Any]]]:
    return [(item, fmt.row(item, planning.to_local(_when(item), tz).strftime(fmt.date_format)))
            for item in _ordered(items)]


def to_scheduler_csv(items: Sequence[Any], fmt: SchedulerFormat, *, tz: str) -> bytes:
    """`fmt`'s bulk-upload file (UTF-8, every field quoted and neutralised); items need a time."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    if fmt.header:
        writer.writerow(neutralised(fmt.columns))
    for _, row in _scheduler_rows(items, fmt, tz=tz):
        writer.writerow(neutralised(row))
    return out.getvalue().encode("utf-8")


def _summary(item: Any, labels: Mapping[str, str]) -> str:
    words = " ".join(item.text.split()[:8])
    words = snippet(words, 60)
    return f"{'✓ ' if item.state == 'published' else ''}{labels.get(item.platform, item.platform.title())}: {words}"


def to_ics(items: Sequence[Any], *, brand: str, tz: str, name: str | None = None) -> bytes:
    """An iCalendar feed, one VEVENT per item with a time: UID `copydesk-item-<id>@<brand>` (stable,
    so calendar apps update the event when it is rescheduled; SEQUENCE is the item's version),
    DTSTART in UTC, 15 minutes long, SUMMARY platform + first words, DESCRIPTION the full text."""
    from icalendar import Calendar, Event

    from assistant import platforms

    labels = {n: r.label for n, r in platforms.get_rules().items()}
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Copydesk · {name or brand}")
    cal.add("x-wr-timezone", tz)
    for item in _ordered(items):
        event = Event()
        event.add("uid", f"copydesk-item-{item.id}@{brand}")
        event.add("dtstamp", item.updated_at.astimezone(timezone.utc))
        event.add("last-modified", item.updated_at.astimezone(timezone.utc))
        event.add("sequence", item.version)
        event.add("dtstart", _when(item).astimezone(timezone.utc))
        event.add("duration", timedelta(minutes=EVENT_MINUTES))
        event.add("summary", _summary(item, labels))
        event.add("description", item.text)
        event.add("categories", [labels.get(item.platform, item.platform)])
        event.add("status", "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        url = safe_link(item.published_url)  # only http(s): never `javascript:` or `data:` in a client
        if url:
            event.add("url", url)
        cal.add_component(event)
    return cal.to_ical()


def _row(item: Any, tz: str) -> dict[str, Any]:
    data = item.model_dump(mode="json")
    when = _when(item)
    return data | {"tz": tz, "local_time": planning.to_local(when, tz).isoformat() if when else None}


def _csv_columns() -> list[str]:
    from assistant.review.schemas import ItemPublic

    return [*ItemPublic.model_fields, "tz", "local_time"]


def to_csv(items: Sequence[Any], *, tz: str) -> bytes:
    """Every field of every item, plus its brand-local time (UTF-8 with BOM, for spreadsheets; every
    cell quoted and neutralised, so `published_url` and the text are data, never a formula)."""
    columns = _csv_columns()
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(neutralised(columns))
    for item in _ordered(items):
        row = _row(item, tz)
        writer.writerow(neutralised(row.get(c) for c in columns))
    return out.getvalue().encode("utf-8-sig")


def formula_problems(items: Sequence[Any], fmt: str, *, tz: str) -> list[ExportProblem]:
    """A `formula_prefixed` warning for each item with a cell that `fmt`'s CSV (a scheduler's or
    `csv`) writes with a leading `'` (see `neutralise_cell`), naming the columns."""
    if fmt in SCHEDULERS:
        scheduler = SCHEDULERS[fmt]
        label, rows = scheduler.label, [(item, dict(zip(scheduler.columns, row)))
                                        for item, row in _scheduler_rows(items, scheduler, tz=tz)]
    elif fmt == "csv":
        columns = _csv_columns()
        label, rows = "CSV", [(item, {c: row.get(c) for c in columns})
                              for item, row in ((i, _row(i, tz)) for i in _ordered(items))]
    else:
        return []
    problems = []
    for item, cells in rows:
        fields = [name for name, value in cells.items() if needs_neutralising(value)]
        if fields:
            problems.append(ExportProblem("formula_prefixed", "warning", item.id, {
                "item": item.id, "fields": ", ".join(fields), "format": label}))
    return problems


def to_json(items: Sequence[Any], *, brand: str, tz: str) -> bytes:
    data = {"brand": brand, "tz": tz, "items": [_row(i, tz) for i in _ordered(items)]}
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


# --- from the queue to a file -------------------------------------------------------------------

def export(queue: Any, brand: Any, fmt: str, *, by: Actor | str | None = None, mark_scheduled: bool = False,
           times: Mapping[int, datetime] | None = None, platform: str | None = None, tz: str | None = None,
           now: datetime | None = None, rules: Mapping[str, Any] | None = None) -> tuple[bytes, ExportReport]:
    """One brand's items as `fmt` (ics | hootsuite | buffer | csv | json) -> (file bytes, report).

    `brand` is a BrandProfile (its slug and time zone) or a slug (then `tz`, default Europe/Rome).
    Selection: ics and schedulers take scheduled items (ics also published ones); csv and json take
    every item. `times` gives approved items a brand-local time (naive, or aware); approved items
    without one are reported (`missing_time`) and left out of time-based files.
    `mark_scheduled` (needs `by`) moves those approved items to `scheduled` at their time, only if
    the report has no errors; each move goes through the queue (audited, version-checked).
    """
    slug = brand if isinstance(brand, str) else brand.slug
    tz = tz or (planning.DEFAULT_TZ if isinstance(brand, str) else brand.timezone)
    planning.zone(tz)
    if fmt not in FORMATS:
        raise InvalidRequest(f"format: {fmt!r} is not a format; use one of {', '.join(FORMATS)}")
    if mark_scheduled and (by is None or isinstance(by, str) and not by.strip()):
        raise InvalidRequest("by: say who marks the exported items as scheduled (your username)")
    now = now or datetime.now(timezone.utc)
    timed = fmt not in ("csv", "json")
    items = [i for s in SELECTION[fmt] for i in planning.iter_items(queue, state=s, brand=slug)
             if platform is None or i.platform == platform]
    planned: dict[int, datetime] = {}
    for item_id, local in (times or {}).items():
        match = next((i for i in items if i.id == item_id), None)
        if match is None or match.state != "approved":
            raise InvalidRequest(f"times: item {item_id} is not an approved {slug} item"
                                 f"{' on ' + platform if platform else ''}; reschedule scheduled items with "
                                 "`assistant plan schedule`")
        planned[item_id] = planning.resolve_local(local, tz).utc
    filename = f"{slug}-{fmt}.csv" if fmt in SCHEDULERS else f"{slug}.{fmt}"
    report = ExportReport(brand=slug, format=fmt, filename=filename, media_type=MEDIA_TYPES.get(fmt, "text/csv"))
    chosen = []
    for item in items:
        if item.state == "approved" and item.id in planned:
            item = item.model_copy(update={"scheduled_for": planned[item.id]})
        elif item.state == "approved" and timed:
            report.problems.append(ExportProblem("missing_time", "warning", item.id, {"item": item.id}))
            continue
        chosen.append(item)
    if fmt in SCHEDULERS:
        scheduler = SCHEDULERS[fmt]
        report.notes = scheduler.notes
        report.problems += check(chosen, scheduler, tz=tz, now=now, rules=rules)
        data = to_scheduler_csv(chosen, scheduler, tz=tz)
        report.problems += formula_problems(chosen, fmt, tz=tz)
    elif fmt == "ics":
        data = to_ics(chosen, brand=slug, tz=tz, name=None if isinstance(brand, str) else brand.name)
    elif fmt == "csv":
        data = to_csv(chosen, tz=tz)
        report.problems += formula_problems(chosen, fmt, tz=tz)
    else:
        data = to_json(chosen, brand=slug, tz=tz)
    report.item_ids = [i.id for i in _ordered(chosen)]
    if mark_scheduled and planned:
        _mark(queue, chosen, planned, report, by=by)  # type: ignore[arg-type] - checked above
    return data, report


def _mark(queue: Any, chosen: Sequence[Any], planned: Mapping[int, datetime], report: ExportReport, *,
          by: Actor | str) -> None:
    if not report.ok:
        report.problems.append(ExportProblem("not_marked", "warning"))
        return
    for item in chosen:
        if item.id not in planned:
            continue
        try:
            queue.schedule(item.id, planned[item.id], by=by, base_version=item.version)
            report.marked_scheduled.append(item.id)
        except AssistantError as exc:
            report.problems.append(ExportProblem("mark_failed", "error", item.id, {"item": item.id,
                                                                                   "reason": str(exc)}))
