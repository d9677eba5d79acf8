"""`assistant users ...`, `assistant share ...` and `--by`/`--as` through Typer's CliRunner, on a
real database."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.factories import make_draft

PASSWORD = "una frase abbastanza lunga"


@pytest.fixture
def home(monkeypatch, tmp_path, brands_dir, hash_embedder):
    import assistant.cli.common as cli

    from assistant.services import Services
    from assistant.settings import load_settings

    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ASSISTANT_BRANDS_DIR", str(brands_dir))
    monkeypatch.setattr(cli, "services", lambda **kw: Services(load_settings(**kw), embedder=hash_embedder))
    return lambda: Services(load_settings(), embedder=hash_embedder)


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_users_add_list_grant_revoke_passwd_disable(home):
    code, out, err = run("users", "add", "anna", "--name", "Anna Admin", "--role", "admin", "--password-stdin",
                         stdin=PASSWORD + "\n")
    assert code == 0, err
    code, _, err = run("users", "add", "bruno", "--name", "Bruno Bianchi", "--email", "bruno@agenzia.it", "--role",
                       "editor", "--brand", "bottega-pasubio", "--brand", "paycairn")
    assert code == 0, err
    users = {u["username"]: u for u in json.loads(run("users", "list", "--json")[1])}
    assert users["anna"]["has_password"] and not users["bruno"]["has_password"]
    assert [g["brand"] for g in users["bruno"]["grants"]] == ["bottega-pasubio", "paycairn"]
    assert run("users", "grant", "bruno", "approver", "--brand", "paycairn")[0] == 0
    code, _, err = run("users", "grant", "bruno", "approver", "--brand", "paycairn", "--by", "bruno")
    assert code == 1 and "only an administrator" in err  # --by a non-admin is refused
    code, out, _ = run("users", "revoke", "bruno", "editor", "--brand", "bottega-pasubio", "--json")
    assert [(g["role"], g["brand"]) for g in json.loads(out)["grants"]] == [("editor", "paycairn"),
                                                                           ("approver", "paycairn")]
    code, _, err = run("users", "passwd", "bruno", "--password-stdin", stdin="corta\n")
    assert code == 1 and "at least 10 characters" in err
    assert run("users", "passwd", "bruno", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    assert home().people.authenticate("bruno", PASSWORD).username == "bruno"
    assert run("users", "disable", "bruno")[0] == 0
    code, _, err = run("queue", "list", "--as", "bruno")
    assert code == 1 and "disabled" in err
    code, _, err = run("users", "disable", "anna")
    assert code == 1 and "last administrator" in err
    code, _, err = run("users", "add", "carla", "--name", "Carla", "--role", "owner")
    assert code == 1 and "not a role" in err
    events = [e.action for e in home().people.events()]
    assert {"setup", "user_added", "role_granted", "role_revoked", "password_changed", "user_disabled"} <= set(events)


def test_by_must_name_a_user_with_the_role_and_as_scopes_reads(home):
    run("users", "add", "anna", "--name", "Anna", "--role", "admin")
    run("users", "add", "ezio", "--name", "Ezio", "--role", "editor", "--brand", "bottega-pasubio")
    run("users", "add", "pia", "--name", "Pia", "--role", "approver", "--brand", "paycairn")
    svc = home()
    ezio = svc.people.actor("ezio")
    item = svc.review.add_draft(make_draft("Sabato in bottega", brand="bottega-pasubio"), by=ezio, submit=True)
    svc.review.add_draft(make_draft("Numeri trimestrali", brand="paycairn", platform="linkedin"),
                         by=svc.people.actor("pia"), submit=True)
    for by, message in (("nessuno", "no user 'nessuno'"), ("ezio", "may not approve"), ("pia", "may not approve")):
        code, _, err = run("queue", "approve", str(item.id), "--by", by, "--base-version", "2")
        assert code == 1 and message in err, err
    assert home().review.get(item.id).state == "in_review"  # nothing changed
    listed = json.loads(run("queue", "list", "--json", "--as", "ezio")[1])
    assert [i["brand"] for i in listed["items"]] == ["bottega-pasubio"]
    assert json.loads(run("queue", "list", "--json")[1])["total"] == 2  # the operator sees everything
    code, _, err = run("queue", "show", str(item.id), "--as", "pia")
    assert code == 1 and "may not view" in err


def test_share_create_list_revoke(home):
    run("users", "add", "anna", "--name", "Anna", "--role", "admin")
    svc = home()
    item = svc.review.add_draft(make_draft("Per la cliente", brand="bottega-pasubio"), by=svc.people.actor("anna"),
                                submit=True)
    code, out, err = run("share", "bottega-pasubio", str(item.id), "--to", "Carla <carla@cliente.it>", "--expires",
                         "48h", "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made["url"].startswith("http://localhost:8501/client/") and made["item_ids"] == [item.id]
    token = made["url"].rsplit("/", 1)[1]
    assert home().shares.open(token).name == "Carla"
    assert "active" in run("share", "list", "bottega-pasubio")[1]
    assert run("share", "revoke", str(made["id"]))[0] == 0
    assert "revoked" in run("share", "list", "bottega-pasubio")[1]
    code, _, err = run("share", "bottega-pasubio", str(item.id), "--to", "Carla <carla@cliente.it>", "--expires", "1y")
    assert code == 2 and "7d, 48h, 30m" in err
    code, _, err = run("share", "bottega-pasubio", "uno", "--to", "Carla")
    assert code == 2 and "ids are numbers" in err
