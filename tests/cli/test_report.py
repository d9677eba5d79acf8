"""`assistant report BRAND --month YYYY-MM [--audience internal|client]` through Typer's CliRunner,
on the performance fixtures (tests/analytics/test_performance.py)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from assistant.cli.report import report
from tests.analytics.test_performance import BRAND, import_all, perf_services  # noqa: F401
from tests.analytics.test_report import pdf_text

app = typer.Typer()
app.command("report")(report)
app.command("noop")(lambda: None)  # a second command: the app keeps `report` as a sub-command


@pytest.fixture
def cli(perf_services, monkeypatch, tmp_path):  # noqa: F811
    import assistant.cli.common as cli_module

    import_all(perf_services)
    monkeypatch.setattr(cli_module, "services", lambda **kw: perf_services)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(app, ["report", BRAND, *args])


def test_internal_is_the_default_and_keeps_the_old_flags(cli):
    result = run("--month", "2026-03")
    assert result.exit_code == 0, result.output
    html = (cli / f"{BRAND}-2026-03.html").read_text(encoding="utf-8")
    assert "Uso dell&#39;IA e costi" in html and "fake-1" in html and "Versione interna" in html
    result = run("--month", "2026-03", "--language", "en", "--format", "pdf", "--out", str(cli / "r.pdf"))
    assert result.exit_code == 0, result.output
    text = pdf_text((cli / "r.pdf").read_bytes())
    assert "AI usage and cost" in text and "Prompt tokens" in text


def test_client_version_from_the_cli(cli):
    result = run("--month", "2026-03", "--audience", "client", "--format", "pdf")
    assert result.exit_code == 0, result.output
    target = cli / f"{BRAND}-2026-03-client.pdf"
    assert result.stdout.strip() == f"{BRAND}-2026-03-client.pdf"
    text = pdf_text(target.read_bytes())
    assert "Report mensile: Filanda" in text and "14.300" in text and "Fonti: 4 post pubblicati con Copydesk" in text
    for internal in ("IA", "Token", "Costo", "fake-1", "Revisione", "Versione interna"):
        assert internal not in text, internal
    result = run("--month", "2026-03", "--audience", "client", "--language", "en", "--out", str(cli / "c.html"))
    html = (cli / "c.html").read_text(encoding="utf-8")
    assert result.exit_code == 0 and "Sources: 4 posts published with Copydesk" in html and "AI usage" not in html


def test_bad_audience_and_month(cli):
    result = run("--month", "2026-03", "--audience", "press")
    assert result.exit_code == 2 and "--audience must be internal or client" in result.stderr
    result = run("--month", "2026-13", "--audience", "client")
    assert result.exit_code == 1 and "YYYY-MM" in result.stderr
    assert not list(cli.glob(f"{BRAND}-*"))  # nothing written
