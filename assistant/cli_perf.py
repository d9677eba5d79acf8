"""`assistant perf ...` (performance import and top posts) and `assistant report ...` (client report).

Register in `assistant/cli.py` with `app.add_typer(perf_app, name="perf")` and
`app.command("report")(report_command)`. Errors go to stderr with a non-zero exit; `--json`
prints what the library returns.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from assistant.cli_common import Json, fail, parse_mapping, print_json
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
    as_json: Json = False,
) -> None:
    """Import post figures; match them to published items and past posts; refresh retrieval."""
    from assistant.cli import _services
    from assistant.performance import import_file

    when = None
    if measured_at:
        try:
            when = datetime.fromisoformat(measured_at)
        except ValueError:
            fail(f"--measured-at {measured_at!r} is not ISO 8601 (e.g. 2026-03-31T00:00:00+00:00)", 2)
        if when.tzinfo is None:
            fail("--measured-at needs a time zone (e.g. 2026-03-31T00:00:00+00:00)", 2)
    try:
        report = import_file(_services(), brand, file, platform=platform,
                             mapping=parse_mapping(mapping or [], "url=Permalink"),
                             measured_at=when)
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
    from assistant.cli import _services
    from assistant.performance import top_posts

    try:
        svc = _services()
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


def report_command(
    brand: Annotated[str, typer.Argument(help="Brand slug.")],
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    fmt: Annotated[str, typer.Option("--format", help="html | pdf")] = "html",
    language: Annotated[str, typer.Option("--language", help="it | en")] = "it",
    out: Annotated[Optional[Path], typer.Option("--out", help="File to write; default: BRAND-MONTH.FORMAT")] = None,
) -> None:
    """The monthly client report: published posts, performance, review figures, AI usage and cost."""
    from assistant.cli import _services
    from assistant.report import build_report, render_html, render_pdf

    if fmt not in ("html", "pdf"):
        fail("--format must be html or pdf", 2)
    try:
        data = build_report(_services(), brand, month, language)
    except AssistantError as exc:
        fail(str(exc))
    target = out or Path(f"{brand}-{month}.{fmt}")
    if fmt == "html":
        target.write_text(render_html(data), encoding="utf-8")
    else:
        target.write_bytes(render_pdf(data))
    typer.echo(str(target))
