"""Copydesk's own HTTP routes (sign-in, first administrator, sign-out, the client page) through
Starlette's TestClient, on the real library and database."""

from __future__ import annotations

import re

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assistant.services import Services
from tests.factories import make_draft

PASSWORD = "una frase abbastanza lunga"


@pytest.fixture
def client(env):
    from assistant.web.server import routes

    return TestClient(Starlette(routes=routes()), base_url="http://127.0.0.1")


def csrf(client, path: str) -> str:
    page = client.get(path)
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_setup_needs_loopback_or_the_token_then_signs_in(client, env):
    from assistant.web.account_routes import SETUP

    SETUP["token"] = "the-printed-token"
    refused = client.get("/account/setup")  # TestClient's address is not loopback
    assert refused.status_code == 403 and "solo da questo computer" in refused.text
    assert client.get("/account/setup?token=wrong").status_code == 403
    token = csrf(client, "/account/setup?token=the-printed-token")
    form = {"csrf": token, "name": "Anna Admin", "username": "anna", "email": "", "password": PASSWORD,
            "password2": PASSWORD}
    assert client.post("/account/setup?token=the-printed-token", data=form | {"password2": "altro"},
                       follow_redirects=False).status_code == 400
    done = client.post("/account/setup?token=the-printed-token", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/")
    cookie = done.headers["set-cookie"]
    assert "copydesk_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert env.sessions.resolve(client.cookies["copydesk_session"]).username == "anna"
    assert env.people.get("anna").grants[0].role == "admin"
    # once there is a user, the setup page only sends to sign-in
    assert client.get("/account/setup?token=the-printed-token", follow_redirects=False).status_code == 303


def test_signin_one_message_csrf_and_signout(client, env):
    env.people.add("anna", name="Anna", password=PASSWORD, grants=[("admin", None)])
    token = csrf(client, "/account/signin?lang=en")
    bad = [client.post("/account/signin?lang=en", data={"csrf": token, "username": u, "password": p})
           for u, p in (("anna", "sbagliata!!"), ("nessuno", PASSWORD))]
    assert {r.status_code for r in bad} == {401}
    assert len({re.search(r'role="alert">([^<]+)<', r.text).group(1) for r in bad}) == 1
    assert "copydesk_session" not in client.cookies
    forged = client.post("/account/signin", data={"csrf": "forged", "username": "anna", "password": PASSWORD})
    assert forged.status_code == 400 and "copydesk_session" not in client.cookies
    ok = client.post("/account/signin", data={"csrf": token, "username": "anna", "password": PASSWORD},
                     follow_redirects=False)
    assert ok.status_code == 303
    cookie = client.cookies["copydesk_session"]
    assert env.sessions.resolve(cookie).username == "anna"
    assert "Content-Security-Policy" in ok.headers and ok.headers["Referrer-Policy"] == "no-referrer"
    client.get("/account/signout")
    assert env.sessions.resolve(cookie) is None
    actions = [e.action for e in env.people.events(user="anna")]
    assert actions[:2] == ["signout", "signin"] and actions.count("signin_failed") == 1
    assert all(e.address for e in env.people.events(user="anna") if e.action in ("signin", "signout"))


def shared(env, brand="bottega-pasubio"):
    env.people.add("root", name="Root", grants=[("admin", None)])
    root = env.people.actor("root")
    one = env.review.add_draft(make_draft("Il post per la cliente", brand=brand), by=root, submit=True)
    two = env.review.add_draft(make_draft("Un post interno <b>grassetto</b>", brand=brand), by=root, submit=True)
    made = env.shares.create(brand, [one.id], to="Carla Cliente <carla@cliente.it>", by=root)
    return one, two, made, root


def test_client_page_shows_only_the_shared_items_and_takes_decisions(client, env):
    one, two, made, root = shared(env)
    env.review.approve(one.id, by=root)  # bottega-pasubio has no client stage: approved already
    page = client.get(f"/client/{made.token}")
    assert page.status_code == 200
    assert "Il post per la cliente" in page.text and "Un post interno" not in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer" and "default-src 'none'" in page.headers[
        "Content-Security-Policy"]
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    sent = client.post(f"/client/{made.token}", data={"csrf": token, "item": str(one.id), "do": "comment",
                                                      "note": "Perfetto <script>alert(1)</script>"})
    assert sent.status_code == 200 and "Commento inviato" in sent.text
    assert "<script>alert(1)</script>" not in sent.text and "&lt;script&gt;" in sent.text
    widened = client.post(f"/client/{made.token}", data={"csrf": token, "item": str(two.id), "do": "comment",
                                                         "note": "posso?"})
    assert widened.status_code == 400 and env.review.get(two.id).comments == []
    staff_action = client.post(f"/client/{made.token}", data={"csrf": token, "item": str(one.id), "do": "approve"})
    assert staff_action.status_code == 400
    comment = env.review.get(one.id).comments[0]
    assert comment.author.startswith("Carla Cliente <carla@cliente.it>")


@pytest.mark.parametrize("how", ["revoked", "expired", "tampered"])
def test_client_page_for_a_dead_link_says_why_and_shows_nothing(client, env, how):
    one, _, made, root = shared(env)
    token = made.token
    if how == "revoked":
        env.shares.revoke(made.share.id, by=root)
    elif how == "expired":
        from datetime import timedelta

        env.review.clock = lambda: made.share.expires_at + timedelta(seconds=1)
        env.shares.clock = env.review.clock
    else:
        token = token[:-4] + ("abcd" if not token.endswith("abcd") else "efgh")
    page = client.get(f"/client/{token}")
    assert page.status_code in (404, 410)
    assert {"revoked": "ritirato", "expired": "scaduto", "tampered": "non è valido"}[how] in page.text
    assert "Il post per la cliente" not in page.text and "<form" not in page.text


def test_the_server_refuses_a_secret_others_can_read(env, capsys):
    from assistant.accounts.secret import secret_path
    from assistant.web import server

    path = secret_path(env.settings.home)
    env.__dict__.pop("secret", None)  # the cached property: read the file again
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x" * 48)
    path.chmod(0o644)
    with pytest.raises(SystemExit) as exit_:
        server.startup()
    assert exit_.value.code == 2 and "chmod 600" in capsys.readouterr().err
    path.chmod(0o600)
    server.startup()  # fine now; no users yet: the one-time setup link is printed
    assert "/account/setup?token=" in capsys.readouterr().err


def test_cookies_are_secure_when_people_reach_the_app_over_https(monkeypatch, env):
    from assistant.web.common import services
    from assistant.web.server import routes

    monkeypatch.setenv("ASSISTANT_PUBLIC_URL", "https://copydesk.agenzia.it")
    svc = services()  # the configuration changed: the app's services for it
    svc.people.add("anna", name="Anna", password=PASSWORD, grants=[("admin", None)])
    client = TestClient(Starlette(routes=routes()), base_url="https://127.0.0.1")  # the TLS proxy's side
    token = csrf(client, "/account/signin")
    assert "secure" in client.get("/account/signin").headers["set-cookie"].lower()  # the form's token too
    ok = client.post("/account/signin", data={"csrf": token, "username": "anna", "password": PASSWORD},
                     follow_redirects=False)
    assert ok.status_code == 303 and "secure" in ok.headers["set-cookie"].lower()
