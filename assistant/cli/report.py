"""`assistant report BRAND --month YYYY-MM`: the monthly client report (HTML or PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from assistant.cli import common
from assistant.cli.common import fail
from assistant.errors import AssistantError


def report(
    brand: Annotated[str, typer.Argument(help="Brand slug.")],
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    fmt: Annotated[str, typer.Option("--format", help="html | pdf")] = "html",
    language: Annotated[str, typer.Option("--language", help="it | en")] = "it",
    out: Annotated[Optional[Path], typer.Option("--out", help="File to write; default: BRAND-MONTH.FORMAT")] = None,
) -> None:
    """The monthly client report: published posts, performance, review figures, AI usage and cost."""
    from assistant.analytics.report import build_report, render_html, render_pdf

    if fmt not in ("html", "pdf"):
        fail("--format must be html or pdf", 2)
    target = out or Path(f"{brand}-{month}.{fmt}")
    try:
        svc = common.services()
        data = build_report(svc, brand, month, language)
        body = render_html(data).encode("utf-8") if fmt == "html" else render_pdf(data, svc.settings.pdf_font)
    except AssistantError as exc:
        fail(str(exc))
    target.write_bytes(body)
    typer.echo(str(target))
