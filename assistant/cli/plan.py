"""`assistant plan ...`: the editorial calendar from the command line (the same calls the UI makes).

Times are the brand's local time (`brand.yaml` `timezone`, default Europe/Rome) unless they carry
an offset. Errors go to stderr with a non-zero exit; `--json` prints what the library returns.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from assistant.cli import common
from assistant.plan import calendar as planning
from assistant.cli.common import By, Json, fail, print_json
from assistant import i18n
from assistant.errors import AssistantError
from assistant.review.timing import ScheduleInPast, TimeRefused

plan_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="Editorial calendar: schedule, calendar with warnings, best times, exports.")


@contextmanager
def _session() -> Iterator[tuple[Any, Any]]:
    """(services, queue), with every library error turned into a clean exit."""
    from assistant.review import ReviewQueue

    queue = None
    try:
        svc = common.services()
        queue = ReviewQueue.from_services(svc)
        yield svc, queue
    except AssistantError as exc:
        fail(str(exc))
    finally:
        if queue is not None:
            queue.close()


def _profile(svc: Any, slug: str) -> Any:
    return svc.brand(slug).profile


def _item_line(item: Any, tz: str) -> str:
    when = item.published_at if item.state == "published" else item.scheduled_for
    local = planning.to_local(when, tz) if when else None
    shown = f"{local:%Y-%m-%d %H:%M} {tz} ({when:%H:%M} UTC)" if local else "-"
    return f"item {item.id} ({item.brand}, {item.platform}) is {item.state}: {shown}"


@plan_app.command()
def schedule(
    item_id: Annotated[int, typer.Argument(help="Review item id (approved or scheduled).")],
    at: Annotated[str, typer.Option("--at", help="Local time of the item's brand: 'YYYY-MM-DD HH:MM'.")],
    by: By,
    base_version: Annotated[Optional[int], typer.Option("--base-version", help="Fail if the item changed.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the messages: en | it.")] = "en",
    as_json: Json = False,
) -> None:
    """Schedule (or reschedule) an approved item at a time in its brand's time zone (a time already
    past is refused: `assistant plan publish` records a post that went out)."""
    try:
        when = planning.parse_local(at, "--at")
    except TimeRefused as exc:
        fail(exc.localised(lang), 2)
    with _session() as (svc, queue), _refusals(lang, by):
        item = queue.get(item_id)
        tz = _profile(svc, item.brand).timezone
        resolved = planning.resolve_local(when, tz)
        if resolved.ambiguous:
            second = when.replace(tzinfo=planning.zone(tz), fold=1).isoformat(timespec="minutes")
            typer.echo(f"note: {when:%H:%M} happens twice on {when:%Y-%m-%d} in {tz} (the clocks go back); using "
                       f"the first ({resolved.local.isoformat(timespec='minutes')}); for the second write "
                       f"--at {second}", err=True)
        done = planning.schedule(queue, item_id, when, tz=tz, by=by, base_version=base_version)
    if as_json:
        print_json(done.model_dump(mode="json") | {"tz": tz, "local_time": resolved.local.isoformat()})
    else:
        typer.echo(_item_line(done, tz))


@contextmanager
def _refusals(lang: str, by: str) -> Iterator[None]:
    """A refused time said in `lang` (exit 1); a time already past also names the command that
    marks the item published at that time."""
    try:
        yield
    except ScheduleInPast as exc:
        local = planning.to_local(exc.at, exc.tz)
        command = (f"assistant plan publish {exc.item_id} --url https://... --at '{local:%Y-%m-%d %H:%M}' "
                   f"--by {by}")
        fail(f"{exc.localised(lang)}\n{i18n.t('cli.schedule_in_past_hint', lang, command=command)}")
    except TimeRefused as exc:
        fail(exc.localised(lang))


@plan_app.command("calendar")
def calendar_cmd(
    brand: Annotated[Optional[str], typer.Option("--brand", help="One brand (default: all).")] = None,
    week: Annotated[bool, typer.Option("--week", help="The ISO week of --date (default).")] = False,
    month: Annotated[bool, typer.Option("--month", help="The month of --date.")] = False,
    on: Annotated[Optional[str], typer.Option("--date", help="YYYY-MM-DD (default: today).")] = None,
    window: Annotated[int, typer.Option("--window", min=1, help="Clash window in minutes.")] = 120,
    lang: Annotated[str, typer.Option("--lang", help="Language of the warnings: en | it.")] = "en",
    as_json: Json = False,
) -> None:
    """Scheduled and published posts for a week or a month, with clash and cadence warnings."""
    if week and month:
        fail("choose --week or --month, not both", 2)
    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        fail(f"--date: write it as YYYY-MM-DD, got {on!r}", 2)
    start, end = planning.month_range(day) if month else planning.week_range(day)
    with _session() as (svc, queue):
        profiles = [_profile(svc, brand)] if brand else [b.profile for b in svc.brands()]
        view = planning.plan_view(queue, profiles, start=start, end=end, window_minutes=window)
    if as_json:
        print_json(view.as_dict(lang))
        return
    typer.echo(f"{start} .. {end}{' · ' + brand if brand else ''}")
    if not view.entries:
        typer.echo("  nothing scheduled or published")
    current = None
    for e in view.entries:
        if e.date != current:
            current = e.date
            typer.echo(f"{e.date:%a %Y-%m-%d}")
        typer.echo(f"  {e.time} {e.tz:<16} {e.brand:<18} {e.platform:<10} {e.state:<10} #{e.item_id}  {e.snippet}")
    for w in view.warnings:
        typer.echo(f"warning: {w.message(lang)}")


@plan_app.command("best-times")
def best_times_cmd(
    brand: Annotated[str, typer.Argument(help="Brand slug.")],
    platform: Annotated[Optional[str], typer.Option("--platform", help="One platform (default: all).")] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=10)] = 3,
    lang: Annotated[str, typer.Option("--lang", help="en | it")] = "en",
    as_json: Json = False,
) -> None:
    """When this brand's own past posts did best, by weekday and hour (its time zone)."""

    try:
        svc = common.services()
        profile = _profile(svc, brand)
        hints = planning.brand_best_times(svc.knowledge, profile, platform=platform, top=top)
    except AssistantError as exc:
        fail(str(exc))
    if as_json:
        print_json([h.as_dict() for h in hints])
        return
    if not hints:
        typer.echo(f"No past posts with a time for {brand} (run `assistant ingest {brand}`).")
    for h in hints:
        if not h.slots:
            typer.echo(planning.render(h.reason, lang, h.values))
            continue
        typer.echo(f"{h.platform} ({h.tz}, {h.sample} posts, by median {h.metric}):")
        for s in h.slots:
            typer.echo(f"  {s.label}  median {s.median:g}  ({s.posts} posts)")


def _times(values: list[str]) -> dict[int, Any]:
    out = {}
    for value in values:
        key, sep, when = value.partition("=")
        if not sep or not key.strip().isdigit():
            fail(f"--time expects ID=YYYY-MM-DD HH:MM, got {value!r}", 2)
        out[int(key)] = planning.parse_local(when, "--time")
    return out


@plan_app.command()
def export(
    brand: Annotated[str, typer.Argument(help="Brand slug.")],
    fmt: Annotated[str, typer.Option("--format", help="ics | hootsuite | buffer | csv | json")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Write here (default: stdout).")] = None,
    platform: Annotated[Optional[str], typer.Option("--platform", help="Only this platform (schedulers: one per "
                                                                       "file).")] = None,
    times: Annotated[Optional[list[str]], typer.Option("--time", help="ID=YYYY-MM-DD HH:MM: a time for an approved "
                                                                      "item (repeatable).")] = None,
    mark_scheduled: Annotated[bool, typer.Option("--mark-scheduled", help="Move the approved items given a --time "
                                                                          "to scheduled (needs --by).")] = False,
    by: Annotated[Optional[str], typer.Option("--by", help="Your name (with --mark-scheduled).")] = None,
    report_json: Annotated[bool, typer.Option("--report-json", help="The report as JSON on stderr.")] = False,
) -> None:
    """Export a brand's calendar; problems a scheduler would refuse go to stderr (exit 1)."""
    from assistant.plan import exports

    if mark_scheduled and not (by or "").strip():
        fail("--mark-scheduled needs --by NAME", 2)
    try:
        planned = _times(times or [])
    except AssistantError as exc:
        fail(str(exc), 2)
    with _session() as (svc, queue):
        data, report = exports.export(queue, _profile(svc, brand), fmt, by=by, mark_scheduled=mark_scheduled,
                                      times=planned, platform=platform, rules=svc.rules)
    if out is not None:
        out.write_bytes(data)
    elif hasattr(sys.stdout, "buffer"):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        typer.echo(data.decode("utf-8"), nl=False)
    if report_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2), err=True)
    else:
        for p in report.problems:
            typer.echo(f"{p.severity}: {p.message()}", err=True)
        where = f" to {out}" if out else ""
        marked = f", {len(report.marked_scheduled)} marked scheduled" if mark_scheduled else ""
        typer.echo(f"{len(report.item_ids)} item(s) exported as {fmt}{where}{marked}", err=True)
        if report.notes:
            typer.echo(f"note: {report.notes}", err=True)
    if not report.ok:
        typer.echo(f"error: the file has {sum(p.severity == 'error' for p in report.problems)} problem(s) "
                   f"{'the scheduler' if fmt in exports.SCHEDULERS else 'that'} would refuse; fix them and export "
                   "again", err=True)
        raise typer.Exit(1)


@plan_app.command()
def publish(
    item_id: Annotated[int, typer.Argument(help="Review item id (scheduled, or approved and published by hand).")],
    url: Annotated[str, typer.Option("--url", help="The live post's address.")],
    by: By,
    at: Annotated[Optional[str], typer.Option("--at", help="When it went live, brand-local (default: now).")] = None,
    as_json: Json = False,
) -> None:
    """Record that a scheduled (or approved) item was published: its live URL and time."""
    with _session() as (svc, queue):
        item = queue.get(item_id)
        tz = _profile(svc, item.brand).timezone
        done = planning.mark_published(queue, item_id, by=by, url=url,
                                       at=planning.parse_local(at) if at else None, tz=tz)
    if as_json:
        print_json(done.model_dump(mode="json"))
    else:
        typer.echo(f"{_item_line(done, tz)} · {done.published_url}")
