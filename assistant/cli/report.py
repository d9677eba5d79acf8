"""`assistant report BRAND --month YYYY-MM`: the monthly report (HTML or PDF), internal or for the client."""

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
    audience: Annotated[str, typer.Option("--audience", help="internal (with AI costs, tokens and review figures) "
                                          "| client (none of them)")] = "internal",
    out: Annotated[Optional[Path], typer.Option("--out", help="File to write; default: BRAND-MONTH.FORMAT "
                                                "(BRAND-MONTH-client.FORMAT for the client)")] = None,
) -> None:
    """The monthly report: published posts, performance from every source; internally also review figures,
    AI usage and cost."""
    from assistant.analytics.report import AUDIENCES, build_report, render_html, render_pdf

    if fmt not in ("html", "pdf"):
        fail("--format must be html or pdf", 2)
    if audience not in AUDIENCES:
        fail(f"--audience must be {' or '.join(AUDIENCES)}", 2)
    target = out or Path(f"{brand}-{month}{'-client' if audience == 'client' else ''}.{fmt}")
    try:
        svc = common.services()
        data = build_report(svc, brand, month, language, audience=audience)
        body = render_html(data).encode("utf-8") if fmt == "html" else render_pdf(data, svc.settings.pdf_font)
    except AssistantError as exc:
        fail(str(exc))
    target.write_bytes(body)
    typer.echo(str(target))
