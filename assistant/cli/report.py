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
    notice: Annotated[bool, typer.Option("--notice", help="Add the client notice on the AI used (law 132/2025 "
                                         "art. 13; client version only; needs --as)")] = False,
    as_user: Annotated[Optional[str], typer.Option("--as", help="Your username (for --notice: it names people, "
                                                   "so only a user who may view the brand gets it).")] = None,
) -> None:
    """The monthly report: published posts, performance from every source; internally also review figures,
    AI usage and cost."""
    from assistant.analytics.report import AUDIENCES, build_report, render_html, render_pdf

    if fmt not in ("html", "pdf"):
        fail("--format must be html or pdf", 2)
    if audience not in AUDIENCES:
        fail(f"--audience must be {' or '.join(AUDIENCES)}", 2)
    if notice and (audience != "client" or not as_user):
        fail("--notice goes into the client version: give --audience client and --as USERNAME", 2)
    target = out or Path(f"{brand}-{month}{'-client' if audience == 'client' else ''}.{fmt}")
    try:
        svc = common.services()
        data = build_report(svc, brand, month, language, audience=audience)
        if notice:
            from assistant.analytics.notice import build_notice

            data.notice = build_notice(svc, brand, month, language, actor=as_user)
        body = render_html(data).encode("utf-8") if fmt == "html" else render_pdf(data, svc.settings.pdf_font)
    except AssistantError as exc:
        fail(str(exc))
    target.write_bytes(body)
    typer.echo(str(target))
