"""`assistant record ITEM | BRAND --from --to`: the provenance record of one item, or of a brand's
items created or approved in a period, as JSON, HTML or PDF, in Italian or English.

`--as USER` is required: the record names people and the sources the model read, so only a user
who may view the brand (a staff role; checked by the library) gets it. JSON goes to stdout unless
`--output` names a file; HTML and PDF go to `--output` or to a file named after the record.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from assistant.cli import common
from assistant.cli.common import fail
from assistant.errors import AssistantError

LANGUAGES = ("it", "en")


def _day(value: str | None, option: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        fail(f"{option} must be a day as YYYY-MM-DD (e.g. 2026-03-01), got {value!r}", 2)


def record(
    target: Annotated[str, typer.Argument(metavar="ITEM|BRAND", help="An item id, or a brand slug with --from/--to.")],
    as_user: Annotated[str, typer.Option("--as", help="Your username: a user who may view the brand.")],
    start: Annotated[Optional[str], typer.Option("--from", help="First day (YYYY-MM-DD, the brand's zone).")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last day, included (YYYY-MM-DD).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="json | html | pdf")] = "json",
    language: Annotated[str, typer.Option("--language", help="it | en (HTML and PDF)")] = "it",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write (JSON: default stdout).")] = None,
) -> None:
    """The provenance record: who wrote each version (model or person), the sources the model read,
    the AI text kept, every review action with who and when, and the editorially responsible approver."""
    from assistant.analytics.record import FORMATS, render
    from assistant.review.record import brand_records, item_record

    if fmt not in FORMATS:
        fail(f"--format must be {', '.join(FORMATS)}", 2)
    if language not in LANGUAGES:
        fail("--language must be it or en", 2)
    period = start is not None or end is not None
    if period and (start is None or end is None):
        fail("a brand's record needs both --from and --to (YYYY-MM-DD)", 2)
    if not period and not target.isdigit():
        fail(f"{target!r} is not an item id: for a brand's record give --from and --to (YYYY-MM-DD)", 2)
    first, last = (_day(start, "--from"), _day(end, "--to")) if period else (None, None)
    queue = None
    try:
        svc = common.services()
        queue = svc.review
        if first is not None and last is not None:
            svc.brand(target)  # an unknown brand is an error, not an empty record
            doc = brand_records(queue, target, first, last, actor=as_user)
            name = f"record-{target}-{first}-{last}-{language}.{fmt}"
        else:
            doc = item_record(queue, int(target), actor=as_user)
            name = f"record-{target}-{language}.{fmt}"
        body = render(doc, fmt, language, svc.settings.pdf_font)
    except AssistantError as exc:
        fail(str(exc))
    finally:
        if queue is not None:
            queue.close()
    if fmt == "json" and output is None:
        typer.echo(body.decode("utf-8"))
        return
    path = output or Path(name)
    path.write_bytes(body)
    typer.echo(str(path))
