"""`assistant record ITEM | BRAND --from --to` through Typer's CliRunner on the real command line
app: formats, languages, files, exit codes and the permission check (`--as`)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.analytics.test_report import pdf_text
from tests.factories import add_people, make_draft

GOOD = "Sabato laboratorio di maglia in bottega a Schio: porta i ferri, il tè lo offriamo noi. #BottegaPasubio"


@pytest.fixture
def cli(monkeypatch, services, tmp_path):
    import assistant.cli.common as cli_module

    monkeypatch.setattr(cli_module, "services", lambda **kw: services)
    monkeypatch.chdir(tmp_path)
    queue = add_people(services.review)
    root = queue.people.actor("root")
    queue.people.add("otto", name="Otto", grants=[("editor", "paycairn")], by=root)
    item = queue.add_draft(make_draft(GOOD, brand="bottega-pasubio"), by="ada", submit=True)
    queue.approve(item.id, by="bea")
    return item.id


def run(*args: str):
    result = CliRunner().invoke(app, ["record", *args])
    return result.exit_code, result.stdout, result.stderr


def test_one_item_as_json_html_and_pdf(cli, tmp_path):
    code, out, err = run(str(cli), "--as", "cris")
    assert code == 0, err
    data = json.loads(out)
    assert data["item"]["id"] == cli and data["editorially_responsible"]["person"]["username"] == "bea"
    assert data["revisions"][0]["model"]["provider"] == "fake" and data["generated_by"]["username"] == "cris"
    code, out, err = run(str(cli), "--as", "cris", "--format", "html", "--language", "en",
                         "--output", str(tmp_path / "r.html"))
    assert code == 0 and out.strip() == str(tmp_path / "r.html"), err
    assert "Editorially responsible: Bea" in (tmp_path / "r.html").read_text(encoding="utf-8")
    code, out, err = run(str(cli), "--format", "pdf", "--as", "cris")
    assert code == 0, err
    assert out.strip() == f"record-{cli}-it.pdf"
    text = pdf_text((tmp_path / f"record-{cli}-it.pdf").read_bytes())
    assert "Registro di provenienza: Bottega Pasubio" in text and "Responsabile editoriale: Bea" in text


def test_a_brand_and_period(cli, tmp_path):
    from datetime import timedelta

    from assistant.db.engine import utcnow

    today = (utcnow() + timedelta(days=1)).date().isoformat()  # the items' days are in the brand's zone, ahead of UTC
    code, out, err = run("bottega-pasubio", "--from", "2020-01-01", "--to", today, "--format", "pdf",
                         "--language", "en", "--as", "bea")
    assert code == 0, err
    text = pdf_text((tmp_path / out.strip()).read_bytes())
    assert "Provenance record: Bottega Pasubio" in text and "1 item" in text and f"Item #{cli}" in text
    code, out, _ = run("bottega-pasubio", "--from", "2020-01-01", "--to", "2020-01-31", "--as", "bea")
    assert code == 0 and json.loads(out)["items"] == []
    code, out, _ = run("bottega-pasubio", "--from", "2020-01-01", "--to", today, "--format", "json", "--as", "bea",
                       "-o", str(tmp_path / "set.json"))
    assert code == 0 and [r["item"]["id"] for r in json.loads((tmp_path / "set.json").read_text())["items"]] == [cli]


def test_refusals_and_usage_errors(cli):
    code, _, err = run(str(cli), "--as", "otto")  # an editor of another brand
    assert code == 1 and "otto may not view on brand bottega-pasubio" in err
    code, _, err = run("bottega-pasubio", "--from", "2026-01-01", "--to", "2026-12-31", "--as", "otto")
    assert code == 1 and "may not view" in err
    code, _, err = run(str(cli), "--as", "nessuno")
    assert code == 1 and "nessuno" in err
    code, _, err = run(str(cli))
    assert code == 2 and "--as" in err  # who reads it is required
    for args, message in (((str(cli), "--format", "docx"), "--format must be json, html, pdf"),
                          ((str(cli), "--language", "fr"), "--language must be it or en"),
                          (("bottega-pasubio",), "is not an item id"),
                          (("bottega-pasubio", "--from", "2026-01-01"), "both --from and --to"),
                          (("bottega-pasubio", "--from", "2026-13-01", "--to", "2026-12-31"), "YYYY-MM-DD")):
        code, _, err = run(*args, "--as", "bea")
        assert code == 2 and message in err, (args, err)
    code, _, err = run("bottega-pasubio", "--from", "2026-12-31", "--to", "2026-01-01", "--as", "bea")
    assert code == 1 and "before it starts" in err
    code, _, err = run("9999", "--as", "bea")
    assert code == 1 and "no review item 9999" in err
    code, _, err = run("nessun-brand", "--from", "2026-01-01", "--to", "2026-01-31", "--as", "bea")
    assert code == 1 and "nessun-brand" in err
