"""`assistant publish ITEM --by NAME` (publish now) and `assistant worker` (publish what is due,
read counts back), through the publishing outbox: the same path in both."""

from __future__ import annotations

import logging
from typing import Annotated, Optional

import typer

from assistant.cli import common
from assistant.cli.common import By, Json, fail, print_json
from assistant.errors import AssistantError


def publish(item_id: int, by: By, as_json: Json = False) -> None:
    """Publish an approved item now to the brand's connected accounts on its platform."""
    from assistant.publishing.worker import worker_name

    try:
        svc = common.services(check=False)
        outcomes = svc.outbox.publish_now(item_id, by=by, worker=worker_name())
    except AssistantError as exc:
        fail(str(exc))
    if as_json:
        print_json([o.as_dict() for o in outcomes])
    for o in outcomes if not as_json else []:
        where = f" {o.job.url}" if o.job.url else ""
        later = {"retry": "; `assistant worker` tries again at {at:%H:%M:%S} UTC",
                 "waiting": "; `assistant worker` publishes it once the account is fixed"}.get(o.result, "")
        typer.echo(f"item {item_id} -> account {o.job.connection_id}: {o.result}{where}"
                   + (f" ({o.reason})" if o.reason else "") + later.format(at=o.job.next_attempt_at or o.job.due_at))
    if any(o.result in ("failed", "retry", "waiting", "cancelled") for o in outcomes):
        raise typer.Exit(1)


def worker(
    once: Annotated[bool, typer.Option("--once", help="One round (publish what is due, read counts) and exit.")] = False,
    interval: Annotated[Optional[float], typer.Option("--interval", min=0.05,
                                                     help="Seconds between rounds (default: the setting "
                                                          "ASSISTANT_WORKER_INTERVAL_SECONDS).")] = None,
    as_json: Json = False,
) -> None:
    """Publish the due posts of the outbox; read likes, reposts and replies back on a schedule."""
    from assistant.publishing.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        svc = common.services(check=False)
        w = Worker.from_services(svc)
    except AssistantError as exc:
        fail(str(exc))

    def show(report) -> None:
        if as_json:
            typer.echo(__import__("json").dumps(report.as_dict(), ensure_ascii=False, default=str))
        elif report.outcomes or report.counts_read or report.errors or report.reconciled:
            counts = f", counts of {report.counts_posts} posts read" if report.counts_read else ""
            late = f", {report.reconciled} live posts recorded on their items" if report.reconciled else ""
            typer.echo(f"{report.worker}: {report.published} published, {report.retried} to retry, "
                       f"{report.failed} failed, {report.cancelled} cancelled{late}{counts}"
                       + "".join(f"\n  error: {e}" for e in report.errors))

    try:
        if once:
            report = w.run_once(counts=True)
            if as_json:
                print_json(report.as_dict())
            else:
                show(report)
            return
        w.handle_signals()
        w.loop(interval if interval is not None else svc.settings.worker_interval_seconds, show)
    except AssistantError as exc:
        fail(str(exc))
