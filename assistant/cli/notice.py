"""`assistant notice BRAND --period YYYY-MM` and `assistant trace BRAND --from --to`: what a
professional owes about the AI they use (Italian law 132/2025): the client notice (art. 13: which AI
systems, what for, how people reviewed the work, with its figures; HTML, PDF or Markdown, Italian
or English) and the traceability export for public administrations (art. 14: every AI use, who
asked, when, which model, what became of the output; CSV or JSON).

`--as USER` is required: both name people, so only a user who may view the brand (a staff role;
checked by the library) gets them. Markdown and JSON go to stdout unless `--output` names a file;
HTML, PDF and CSV go to `--output` or to a file named after the brand and the period.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from assistant.cli import common
from assistant.cli.common import fail
from assistant.errors import AssistantError

LANGUAGES = ("it", "en")
AsUser = Annotated[str, typer.Option("--as", help="Your username: a user who may view the brand (required: "
                                                  "the output names people).")]
Output = Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write.")]


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a day as YYYY-MM-DD (e.g. 2026-03-01), got {value!r}", 2)


def _emit(body: bytes, output: Path | None, default: str, to_stdout: bool) -> None:
    if output is None and to_stdout:
        typer.echo(body.decode("utf-8"), nl=False)
        return
    path = output or Path(default)
    path.write_bytes(body)
    typer.echo(str(path))


def notice(
    brand: Annotated[str, typer.Argument(help="Brand slug.")],
    period: Annotated[str, typer.Option("--period", help="The month, YYYY-MM (in the brand's time zone).")],
    as_user: AsUser,
    language: Annotated[str, typer.Option("--language", help="it | en")] = "it",
    fmt: Annotated[str, typer.Option("--format", help="html | pdf | md")] = "html",
    output: Output = None,
) -> None:
    """The client notice on the AI used for the brand's content in a month (law 132/2025 art. 13)."""
    from assistant.analytics.notice import FORMATS, build_notice, filename, render

    if fmt not in FORMATS:
        fail(f"--format must be {', '.join(FORMATS)}", 2)
    if language not in LANGUAGES:
        fail("--language must be it or en", 2)
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        fail(f"--period must be a month as YYYY-MM (e.g. 2026-03), got {period!r}", 2)
    queue = None
    try:
        svc = common.services()
        queue = svc.review
        data = build_notice(svc, brand, period, language, actor=as_user)
        body = render(data, fmt, svc.settings.pdf_font)
    except AssistantError as exc:
        fail(str(exc))
    finally:
        if queue is not None:
            queue.close()
    _emit(body, output, filename(data, fmt), fmt == "md")


def trace(
    brand: Annotated[str, typer.Argument(help="Brand slug.")],
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (the brand's zone).")],
    end: Annotated[str, typer.Option("--to", help="Last day, included, YYYY-MM-DD.")],
    as_user: AsUser,
    fmt: Annotated[str, typer.Option("--format", help="csv | json")] = "csv",
    output: Output = None,
) -> None:
    """Every AI use for the brand in a period (law 132/2025 art. 14): who asked, when, which model,
    which item, and what became of the output."""
    from assistant.plan import trace as tracing
    from assistant.review.uses import current_base_url

    if fmt not in tracing.FORMATS:
        fail(f"--format must be {', '.join(tracing.FORMATS)}", 2)
    first, last = _day(start, "--from"), _day(end, "--to")
    if last < first:
        fail(f"--to ({last}) is before --from ({first}): give a period that ends on or after its start", 2)
    queue = None
    try:
        svc = common.services()
        queue = svc.review
        svc.brand(brand)  # an unknown brand is an error, not an empty export
        export = tracing.trace(queue, brand, first, last, actor=as_user, base_url=current_base_url(svc))
        start_utc, end_utc = _utc_days(first, last, svc.brand(brand).profile.timezone)
        unqueued = svc.desk.unqueued(queue.actor(as_user), brand, start_utc, end_utc)  # drafts never queued
        body = tracing.render(tracing.add_unqueued(export, unqueued, current_base_url(svc)), fmt)
    except AssistantError as exc:
        fail(str(exc))
    finally:
        if queue is not None:
            queue.close()
    _emit(body, output, f"trace-{brand}-{first}-{last}.{fmt}", fmt == "json")


def _utc_days(first, last, tz: str):
    """The brand's days `first`..`last` (both included) as a UTC [start, end) pair."""
    from datetime import datetime, time, timedelta, timezone
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    start = datetime.combine(first, time(0), zone).astimezone(timezone.utc)
    return start, datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(timezone.utc)
