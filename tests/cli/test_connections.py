"""`assistant accounts ...` through Typer's CliRunner, against the Mastodon test server (a loopback
stand-in written from Mastodon's API documentation): the secret goes in on standard input and never
comes out again."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.factories import add_people
from tests.utils.mastodon_server import MastodonServer

BRAND = "bottega-pasubio"


@pytest.fixture
def env(tmp_path, brands_dir, hash_embedder, monkeypatch):
    import assistant.cli.common as cli_common
    from assistant.knowledge.embeddings import CachedEmbedder
    from assistant.services import Services
    from assistant.settings import load_settings

    settings = load_settings(home=tmp_path / "home", brands_dir=brands_dir, secrets_key_file=tmp_path / "cfg" / "key")
    services = Services(settings, embedder=CachedEmbedder(hash_embedder, settings.cache_dir / "emb.sqlite"))
    monkeypatch.setattr(cli_common, "services", lambda **kwargs: services)
    add_people(services.review)
    with MastodonServer() as srv:
        yield services, srv
    services.review.close()


def run(*args: str, stdin: str | None = None):
    result = CliRunner().invoke(app, ["accounts", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_add_list_test_remove_without_ever_printing_the_secret(env):
    services, srv = env
    code, out, err = run("add", BRAND, "--platform", "mastodon", "--instance", srv.url, "--token-stdin",
                         "--by", "root", "--json", stdin=srv.token + "\n")
    assert code == 0, err
    made = json.loads(out)
    assert made["last_test_ok"] is True and made["handle"].startswith("copydesk@") and made["status"] == "active"
    outputs = [out, err]
    for args in (("list",), ("list", BRAND, "--json"), ("test", str(made["id"]), "--by", "ada", "--json")):
        code, out, err = run(*args)
        assert code == 0, err
        outputs += [out, err]
    assert json.loads(outputs[4])[0]["id"] == made["id"]
    assert all(srv.token not in o for o in outputs)
    code, out, _ = run("remove", str(made["id"]), "--by", "root")
    assert code == 0 and "removed" in out
    assert run("list", BRAND)[1].strip() == "No connected accounts."


def test_a_non_admin_cannot_add(env):
    services, srv = env
    code, out, err = run("add", BRAND, "--platform", "mastodon", "--instance", srv.url, "--token-stdin",
                         "--by", "ada", stdin=srv.token + "\n")
    assert code == 1 and "may not manage brands" in err and srv.token not in err + out
    assert services.connections.list() == []


def test_the_secret_must_come_on_standard_input(env):
    _, srv = env
    code, _, err = run("add", BRAND, "--platform", "mastodon", "--instance", srv.url, "--by", "root")
    assert code == 2 and "--token-stdin" in err
    code, _, err = run("add", BRAND, "--platform", "bluesky", "--handle", "b.test", "--by", "root")
    assert code == 2 and "--app-password-stdin" in err


def test_a_refused_token_is_reported_and_a_world_readable_key_refused(env):
    services, srv = env
    code, out, err = run("add", BRAND, "--platform", "mastodon", "--instance", srv.url, "--token-stdin",
                         "--by", "root", stdin="not-the-token\n")
    assert code == 0 and "the test failed" in err and "not-the-token" not in out + err
    assert "needs_reconnect" in out
    os.chmod(services.settings.secrets_key_file, 0o644)
    code, _, err = run("add", BRAND, "--platform", "mastodon", "--instance", srv.url, "--token-stdin",
                       "--by", "root", stdin=srv.token + "\n")
    assert code == 1 and "can be read by others" in err and "chmod 600" in err
    assert len(services.connections.list()) == 1


def test_plain_http_is_refused_off_loopback(env):
    code, _, err = run("add", BRAND, "--platform", "mastodon", "--instance", "http://mastodon.example",
                       "--token-stdin", "--by", "root", stdin="t\n")
    assert code == 1 and "https" in err
