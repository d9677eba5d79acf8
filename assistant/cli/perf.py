"""`assistant perf ...`: performance import and top posts.

Errors go to stderr with a non-zero exit; `--json` prints what the library returns.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from assistant.cli import common
from assistant.cli.common import Json, fail, parse_mapping, print_json
from assistant.cli.knowledge import Utc, Zone, import_zone
from assistant.errors import AssistantError

perf_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="Post performance: import platform exports, see the best posts.")


@perf_app.command("import")
def import_(
    brand: Annotated[str, typer.Argument(help="Brand slug.")],
    file: Annotated[Path, typer.Argument(help="A Meta Business Suite, LinkedIn or X export (CSV).")],
    platform: Annotated[Optional[str], typer.Option("--platform", help="Platform of rows that do not say it.")] = None,
    mapping: Annotated[Optional[list[str]], typer.Option("--map", help="FIELD=COLUMN (repeatable).")] = None,
    measured_at: Annotated[Optional[str], typer.Option("--measured-at", help="When the figures were taken "
                                                       "(ISO 8601 with time zone); default: today.")] = None,
    utc: Utc = False,
    zone: Zone = None,
    as_json: Json = False,
) -> None:
    """Import post figures; match them to published items and past posts; refresh retrieval."""
    from assistant.analytics.performance import import_file

    zone = import_zone(utc, zone)
    when = None
    if measured_at:
        try:
            when = datetime.fromisoformat(measured_at)
        except ValueError:
            fail(f"--measured-at {measured_at!r} is not ISO 8601 (e.g. 2026-03-31T00:00:00+00:00)", 2)
        if when.tzinfo is None:
            fail("--measured-at needs a time zone (e.g. 2026-03-31T00:00:00+00:00)", 2)
    try:
        report = import_file(common.services(), brand, file, platform=platform,
                             mapping=parse_mapping(mapping or [], "url=Permalink"),
                             measured_at=when, zone=zone)
    except AssistantError as exc:
        fail(str(exc))
    if as_json:
        print_json(report.as_dict())
        return
    typer.echo(f"{report.source}: {report.rows} rows, added {report.added}, updated {report.updated}, "
               f"unchanged {report.unchanged}; matched by URL {report.matched_by_url}, by text "
               f"{report.matched_by_text}, unmatched {len(report.unmatched)}; "
               f"{report.refreshed_docs} library posts refreshed (measured {report.measured_at[:10]})")
    for row in report.unmatched:
        typer.echo(f"  unmatched: row {row['row']} {row['platform']} {row['url'] or row['text']}")
    for w in [*report.rejected, *report.warnings]:
        typer.echo(f"  warning: {w}", err=True)


@perf_app.command("top")
def top(
    brand: Annotated[str, typer.Argument(help="Brand slug.")],
    platform: Annotated[Optional[str], typer.Option("--platform")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 5,
    as_json: Json = False,
) -> None:
    """The best posts per platform by engagement rate (latest measurement of each post)."""
    from assistant.analytics.performance import top_posts

    try:
        svc = common.services()
        svc.brand(brand)
        rows = top_posts(svc.review, brand, platform=platform, limit=limit)
    except AssistantError as exc:
        fail(str(exc))
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("No performance data yet: `assistant perf import BRAND FILE`.")
    for r in rows:
        rate = "n/a" if r["engagement_rate"] is None else f"{r['engagement_rate']:.2%}"
        text = " ".join((r["text"] or r["url"] or "").split())[:60]
        typer.echo(f"{r['platform']:<10} #{r['rank']} of {r['sample_size']:<4} {rate:>7}  {r['origin']:<12} {text}")
