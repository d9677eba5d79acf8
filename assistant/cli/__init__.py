"""The `assistant` command line: the same library calls the UI uses, one module per command
group. `--json` for machines; errors on stderr with a non-zero exit."""

from __future__ import annotations

import sys

import typer

from assistant.cli import draft, knowledge, models, perf, plan, queue, report, server, share, users
from assistant.cli import record
from assistant.cli import notice
from assistant.cli import voice
from assistant.cli import media
from assistant.cli import connections, publish
from assistant.errors import AssistantError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Copydesk: brand-voice drafting desk.")
app.command()(knowledge.brands)
app.command()(knowledge.ingest)
app.command()(knowledge.search)
app.command()(knowledge.doctor)
app.command()(draft.draft)
app.add_typer(queue.queue_app, name="queue")
queue.queue_app.command("attach")(media.attach)  # `assistant queue attach` (queue.py is near its size limit)
app.add_typer(media.media_app, name="media")
app.add_typer(plan.plan_app, name="plan")
app.add_typer(perf.perf_app, name="perf")
app.add_typer(users.users_app, name="users")
app.add_typer(models.models_app, name="models")
app.add_typer(connections.accounts_app, name="accounts")
app.command("share")(share.share)
app.command("report")(report.report)
app.command("record")(record.record)
app.command("notice")(notice.notice)
app.command("trace")(notice.trace)
app.command("voice")(voice.voice)
app.command("publish")(publish.publish)
app.command("worker")(publish.worker)
app.command("app")(server.app_command)
app.command("demo")(server.demo)


def main() -> None:  # pragma: no cover - entry point
    try:
        app()
    except AssistantError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
