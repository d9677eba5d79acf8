"""`assistant queue ...` through Typer's CliRunner, on the real brand rules and a real database."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from assistant.cli.queue import queue_app
from assistant.review import ReviewQueue
from tests.factories import add_people, make_draft

app = typer.Typer()
app.add_typer(queue_app, name="queue")

GOOD = "Sabato laboratorio di maglia in bottega a Schio: porta i ferri, il tè lo offriamo noi. #BottegaPasubio"
NO_TAG = "Sabato laboratorio di maglia in bottega a Schio: porta i ferri, il tè lo offriamo noi."


@pytest.fixture
def cli(monkeypatch, services):
    import assistant.cli.common as cli_module

    monkeypatch.setattr(cli_module, "services", lambda: services)
    queue = add_people(ReviewQueue.open(services.settings))
    item = queue.add_draft(make_draft(GOOD, brand="bottega-pasubio"), by="Ada", submit=True)
    queue.add_draft(make_draft("Bozza per paycairn", brand="paycairn", platform="linkedin"), by="Ada")
    queue.close()
    return item.id


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["queue", *args])
    return result.exit_code, result.stdout, result.stderr


def test_list_and_show(cli):
    code, out, _ = run("list", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["total"] == 2 and data["pages"] == 1
    assert [i["brand"] for i in data["items"]] == ["paycairn", "bottega-pasubio"]
    code, out, _ = run("list", "--state", "in_review", "--brand", "bottega-pasubio")
    assert code == 0 and f"{cli}" in out and "paycairn" not in out
    code, out, _ = run("show", str(cli))
    assert code == 0 and "v0 by ai:fake/fake-1" in out and "audit:" in out and "submit" in out
    code, out, _ = run("show", str(cli), "--json")
    view = json.loads(out)
    assert view["revisions"][0]["text"] == GOOD and view["allowed_actions"][0] == "edit"


def test_edit_conflict_gate_override_and_metrics(cli):
    item_id = str(cli)
    # a human edit without the brand's required hashtag: re-validated with the real rules
    code, out, _ = run("edit", item_id, "--text", NO_TAG, "--by", "Bea", "--base-version", "1", "--json")
    assert code == 0
    assert json.loads(out)["error_count"] >= 1
    code, _, err = run("edit", item_id, "--text", "altro", "--by", "Cris", "--base-version", "1")
    assert code == 1 and "changed since you opened it" in err and "base version 2" in err
    code, _, err = run("approve", item_id, "--by", "Dario")
    assert code == 2 and "--base-version" in err  # a decision names the version its maker read
    code, _, err = run("approve", item_id, "--by", "Dario", "--base-version", "1")
    assert code == 1 and "changed since you opened it" in err and "nothing was saved" in err  # Bea's edit is v2
    code, _, err = run("approve", item_id, "--by", "Dario", "--base-version", "2")
    assert code == 1 and "override reason" in err
    code, out, _ = run("approve", item_id, "--by", "Dario", "--override-reason", "hashtag nel primo commento",
                       "--base-version", "2")
    assert code == 0 and "approved" in out
    code, out, _ = run("comment", item_id, "--text", "pubblicato sabato", "--by", "Dario")
    assert code == 0
    code, out, _ = run("show", item_id, "--json")
    view = json.loads(out)
    approve = [e for e in view["audit"] if e["action"] == "approve"][0]
    assert approve["note"] == "hashtag nel primo commento" and approve["data"]["override"] is True
    assert view["comments"][0]["text"] == "pubblicato sabato"
    assert view["audit"][-1]["action"] == "comment"
    assert any(e["action"] == "exemplar_added" for e in view["audit"])
    code, out, _ = run("metrics", "--json")
    report = json.loads(out)
    assert code == 0 and report["overall"]["approved"] == 1
    assert report["overall"]["mean_edit_distance"] == 1.0  # the hashtag removed
    code, out, _ = run("metrics", "--by", "brand,platform")
    assert code == 0 and "brand=bottega-pasubio, platform=instagram" in out and "overall" in out


def test_errors_exit_non_zero_with_the_reason(cli):
    item_id = str(cli)
    code, _, err = run("approve", item_id, "--by", "  ", "--base-version", "1")
    assert code == 1 and "by:" in err
    code, _, err = run("reject", item_id, "--by", "Bea", "--note", "", "--base-version", "1")
    assert code == 1 and "note" in err
    code, _, err = run("show", "9999")
    assert code == 1 and "no review item 9999" in err
    code, _, err = run("submit", item_id, "--by", "Bea")
    assert code == 1 and "cannot submit" in err and "approve" in err
    code, _, err = run("list", "--state", "finito")
    assert code == 1 and "not a state" in err
    code, out, _ = run("request-changes", item_id, "--by", "Bea", "--note", "più breve", "--base-version", "1")
    assert code == 0 and "changes_requested" in out
