"""`assistant notice`, `assistant trace` and `assistant report --notice` through Typer's CliRunner, on
the notice fixtures (tests/analytics/test_notice.py): files and stdout, exit codes, refusals."""

from __future__ import annotations

import csv
import io
import json

import pytest
import typer
from typer.testing import CliRunner

from assistant.cli.notice import notice, trace
from assistant.cli.report import report
from tests.analytics.test_notice import notice_services  # noqa: F401
from tests.analytics.test_report import pdf_text

app = typer.Typer()
app.command("notice")(notice)
app.command("trace")(trace)
app.command("report")(report)


@pytest.fixture
def cli(notice_services, monkeypatch, tmp_path):  # noqa: F811
    import assistant.cli.common as cli_module

    monkeypatch.setattr(cli_module, "services", lambda **kw: notice_services)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_notice_files_and_stdout(cli):
    result = run("notice", "comune", "--period", "2026-03", "--as", "bea")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "comune-2026-03-notice-it.html"
    html = (cli / "comune-2026-03-notice-it.html").read_text(encoding="utf-8")
    assert "Informativa sull&#39;uso dell&#39;intelligenza artificiale" in html and "gpt-4.1-mini" in html
    result = run("notice", "comune", "--period", "2026-03", "--as", "bea", "--format", "md", "--language", "en")
    assert result.exit_code == 0 and result.stdout.startswith("# Notice on the use of artificial intelligence")
    result = run("notice", "comune", "--period", "2026-03", "--as", "bea", "--format", "pdf", "-o", str(cli / "n.pdf"))
    assert result.exit_code == 0 and "Chi ha approvato" in pdf_text((cli / "n.pdf").read_bytes())


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--period", "2026-13", "--as", "bea"), 2, "--period must be a month as YYYY-MM"),
    (("--period", "2026-03", "--as", "bea", "--format", "docx"), 2, "--format must be html, pdf, md"),
    (("--period", "2026-03", "--as", "bea", "--language", "fr"), 2, "--language must be it or en"),
    (("--period", "2026-03"), 2, "--as"),
    (("--period", "2026-03", "--as", "nessuno"), 1, "nessuno"),
    (("--period", "2026-03", "--as", "vale"), 1, "vale may not view on brand comune"),
])
def test_notice_refusals(cli, args, code, message):
    result = run("notice", "comune", *args)
    assert result.exit_code == code and message in result.stderr, result.output
    assert {p.name for p in cli.iterdir()} == {"home", "brands"}  # nothing written


def test_unknown_brand(cli):
    for command in (("notice", "nessuno", "--period", "2026-03", "--as", "bea"),
                    ("trace", "nessuno", "--from", "2026-03-01", "--to", "2026-03-31", "--as", "bea")):
        result = run(*command)
        assert result.exit_code == 1 and "no brand 'nessuno'" in result.stderr, result.output


def test_trace_csv_file_and_json_stdout(cli):
    result = run("trace", "comune", "--from", "2026-03-01", "--to", "2026-03-31", "--as", "bea")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "trace-comune-2026-03-01-2026-03-31.csv"
    rows = list(csv.DictReader(io.StringIO((cli / result.stdout.strip()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == 4 and {r["outcome"] for r in rows} == {"approved", "rejected", "pending"}
    assert {r["model"] for r in rows} >= {"gpt-4.1-mini", "smollm2-135m"}
    result = run("trace", "comune", "--from", "2026-03-01", "--to", "2026-03-31", "--as", "bea", "--format", "json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["brand"] == "comune" and len(payload["rows"]) == 4 and payload["generated_by"] == "Bea"


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--from", "2026-03-31", "--to", "2026-03-01", "--as", "bea"), 2, "is before --from"),
    (("--from", "31/03/2026", "--to", "2026-03-31", "--as", "bea"), 2, "--from must be a day as YYYY-MM-DD"),
    (("--from", "2026-03-01", "--to", "2026-03-31", "--as", "bea", "--format", "xlsx"), 2, "--format must be csv, json"),
    (("--from", "2026-03-01", "--to", "2026-03-31"), 2, "--as"),
    (("--from", "2026-03-01", "--to", "2026-03-31", "--as", "vale"), 1, "may not view"),
])
def test_trace_refusals(cli, args, code, message):
    result = run("trace", "comune", *args)
    assert result.exit_code == code and message in result.stderr, result.output
    assert {p.name for p in cli.iterdir()} == {"home", "brands"}


def test_report_with_the_notice(cli):
    result = run("report", "comune", "--month", "2026-03", "--audience", "client", "--notice", "--as", "bea",
                 "--format", "pdf")
    assert result.exit_code == 0, result.output
    text = pdf_text((cli / "comune-2026-03-client.pdf").read_bytes())
    assert "Report mensile" in text and "Informativa sull'uso dell'intelligenza artificiale" in text
    for args in (("--audience", "client", "--notice"), ("--notice", "--as", "bea")):
        result = run("report", "comune", "--month", "2026-03", *args)
        assert result.exit_code == 2 and "--notice goes into the client version" in result.stderr
    result = run("report", "comune", "--month", "2026-03", "--audience", "client", "--notice", "--as", "vale")
    assert result.exit_code == 1 and "may not view" in result.stderr


def test_trace_also_lists_drafts_that_never_entered_the_queue(cli, notice_services):
    """A draft written on the desk and never sent to review is an AI use too (art. 14)."""
    from datetime import date, timedelta

    from assistant.desk import Jobs
    from assistant.drafting.providers import FakeProvider
    from assistant.drafting.schemas import DraftRequest

    svc = notice_services
    bea = svc.people.actor("bea")
    jobs = Jobs(svc.desk, lambda a: svc.drafter(provider=FakeProvider(), actor=a))
    session = svc.desk.open(bea, "comune")
    jobs.wait(jobs.brief(bea, session, DraftRequest(brand="comune", platforms=["facebook", "x"],
                                                    brief="Orari estivi della biblioteca comunale")), 60)
    [kept, sent] = svc.desk.get(bea, session).turns[0].drafts
    svc.review.add_draft(sent.draft, by=bea)  # this one entered the queue: it is traced through its item
    days = [(date.today() + timedelta(days=d)).isoformat() for d in (-1, 1)]  # today wherever the brand is
    result = run("trace", "comune", "--from", days[0], "--to", days[1], "--as", "bea", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    desk_rows = [r for r in rows if r["outcome"] == "not_queued"]
    assert [(r["platform"], r["asked_by"], r["model"], r["item_id"]) for r in desk_rows] == [
        (kept.platform, "Bea", "fake-echo-1", None)]
    assert not any(r["outcome"] == "not_queued" and r["platform"] == sent.platform for r in rows)
