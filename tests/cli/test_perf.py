"""`assistant perf import`: times without a zone in the brand's zone, `--utc` / `--timezone` per import."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from assistant.analytics import performance as perf
from assistant.cli import app
from tests.conftest import write_brand

UTC = timezone.utc
EXPORT = ("Permalink,Description,Publish time,Likes,Views\n"
          "https://www.instagram.com/p/MAR/,Filò del giovedì,14/03/2026 18:30,10,200\n"
          "https://www.instagram.com/p/JUL/,Calze per l'estate,14/07/2026 18:30,12,300\n")


@pytest.fixture
def cli_services(monkeypatch, services, brands_dir, tmp_path):
    import assistant.cli.common as cli

    write_brand(brands_dir, "lanificio", platforms=["instagram"], timezone="Europe/Rome")
    monkeypatch.setattr(cli, "services", lambda **kw: services)
    export = tmp_path / "ig.csv"
    export.write_text(EXPORT, encoding="utf-8")
    return services, export


def run(*args):
    result = CliRunner().invoke(app, ["perf", "import", *args])
    return result.exit_code, result.stdout, result.stderr


def stored(services) -> list[datetime]:
    return sorted(r["posted_at"] for r in perf.latest(services.review, "lanificio"))


def test_perf_import_reads_the_brands_zone(cli_services):
    services, export = cli_services
    code, out, err = run("lanificio", str(export), "--json")
    assert code == 0, err
    assert json.loads(out)["rows"] == 2
    assert stored(services) == [datetime(2026, 3, 14, 17, 30, tzinfo=UTC), datetime(2026, 7, 14, 16, 30, tzinfo=UTC)]


@pytest.mark.parametrize(("options", "expected"), [
    (["--utc"], [datetime(2026, 3, 14, 18, 30, tzinfo=UTC), datetime(2026, 7, 14, 18, 30, tzinfo=UTC)]),
    (["--timezone", "Europe/London"], [datetime(2026, 3, 14, 18, 30, tzinfo=UTC),
                                       datetime(2026, 7, 14, 17, 30, tzinfo=UTC)]),
])
def test_perf_import_with_utc_or_another_zone(cli_services, options, expected):
    services, export = cli_services
    code, _, err = run("lanificio", str(export), *options)
    assert code == 0, err
    assert stored(services) == expected


def test_perf_import_zone_options_are_checked(cli_services):
    services, export = cli_services
    code, _, err = run("lanificio", str(export), "--timezone", "Mars/Olympus")
    assert code == 2 and "unknown time zone 'Mars/Olympus'" in err
    code, _, err = run("lanificio", str(export), "--utc", "--timezone", "Europe/Rome")
    assert code == 2 and "disagree" in err
    assert stored(services) == []
