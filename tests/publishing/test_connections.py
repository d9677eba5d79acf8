"""Connected accounts: secrets sealed at rest with a key kept outside the repository, only
administrators add or remove them, "test connection" recorded, addresses checked."""

from __future__ import annotations

import os

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from assistant.accounts.permissions import PermissionDenied
from assistant.errors import ConfigError, InvalidRequest
from assistant.publishing.connections import check_url
from assistant.publishing.posts import PublishError
from assistant.publishing.vault import Vault
from assistant.settings import load_settings
from tests.utils.outbox_desk import TOKEN, desk, net  # noqa: F401 (fixtures)


def test_the_database_holds_only_ciphertext(desk):
    with desk.queue.engine.connect() as conn:
        stored = conn.execute(text("SELECT secret FROM publish_connections")).scalar_one()
    assert TOKEN not in stored and "0123456789abcdef" not in stored
    assert desk.vault.open(stored) == TOKEN
    assert "secret" not in desk.conn.as_dict() and TOKEN not in repr(desk.conn)
    assert TOKEN not in repr(desk.connections.list())
    with pytest.raises(ConfigError, match="cannot be decrypted") as err:
        Vault(Fernet.generate_key()).open(stored)  # another key: refused, and the message holds no secret
    assert TOKEN not in str(err.value)


def test_the_key_file_is_made_private_and_refused_when_others_can_read_it(tmp_path):
    key_file = tmp_path / "config" / "secrets.key"
    settings = load_settings(home=tmp_path / "home", secrets_key_file=key_file)
    vault = Vault.from_settings(settings)
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert Vault.from_settings(settings).open(vault.seal("x")) == "x"  # the same key the next time
    os.chmod(key_file, 0o644)
    with pytest.raises(ConfigError, match="can be read by others") as err:
        Vault.from_settings(settings)
    assert key_file.read_text().strip() not in str(err.value)


def test_the_key_from_the_environment_wins_and_a_bad_one_says_how_to_make_one(tmp_path, monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("ASSISTANT_SECRETS_KEY", key)
    settings = load_settings(home=tmp_path / "home", secrets_key_file=tmp_path / "never.key")
    assert Vault(key).open(Vault.from_settings(settings).seal("t")) == "t"
    assert not (tmp_path / "never.key").exists()
    with pytest.raises(ConfigError, match="Fernet.generate_key"):
        Vault("not-a-key")


def test_only_an_administrator_adds_or_removes(desk):
    with pytest.raises(PermissionDenied, match="manage brands"):
        desk.connections.add("lana", "mastodon", secret="t", by="ada", base_url="https://social.example")
    with pytest.raises(PermissionDenied):
        desk.connections.remove(desk.conn.id, by="ada")
    assert [c.id for c in desk.connections.list("lana")] == [desk.conn.id]
    desk.connections.remove(desk.conn.id, by="root")
    assert desk.connections.list("lana") == [] and len(desk.connections.list("lana", removed=True)) == 1


@pytest.mark.parametrize("url", ["http://social.example", "ftp://x.example", "social.example",
                                 "https://user:pw@social.example", "https://social.example/?a=1"])
def test_addresses_must_be_https_except_on_loopback(url):
    with pytest.raises(InvalidRequest):
        check_url(url, "--instance")


def test_loopback_and_https_addresses_are_normalised():
    assert check_url("https://Social.example/", "--instance") == "https://Social.example"
    assert check_url("http://127.0.0.1:8080/", "--instance") == "http://127.0.0.1:8080"
    assert check_url("http://localhost:9/x/", "--service") == "http://localhost:9/x"


def test_bluesky_needs_a_handle_and_every_account_a_secret(desk):
    with pytest.raises(InvalidRequest, match="--handle"):
        desk.connections.add("lana", "bluesky", secret="app-pw", by="root")
    with pytest.raises(InvalidRequest, match="empty"):
        desk.connections.add("lana", "mastodon", secret="  ", by="root", base_url="https://social.example")
    with pytest.raises(InvalidRequest, match="cannot be connected"):
        desk.connections.add("lana", "instagram", secret="x", by="root", base_url="https://social.example")
    made = desk.connections.add("lana", "bluesky", secret="app-pw", by="root", handle="@lana.bsky.social")
    assert made.base_url == "https://bsky.social" and made.handle == "lana.bsky.social"


def test_testing_a_connection_records_the_answer(desk):
    tested = desk.connections.test(desk.conn.id, by="ada")  # an approver may test
    assert tested.last_test_ok is True and tested.last_test_message == "@brand@fake.example"
    assert tested.handle == "brand@fake.example" and tested.last_tested_at == desk.clock()
    assert desk.net.secrets_seen == [TOKEN]  # the publisher got the secret, opened
    desk.net.script(PublishError("The access token is invalid", transient=False, status=401))
    failed = desk.connections.test(desk.conn.id, by="ada")
    assert failed.last_test_ok is False and failed.status == "needs_reconnect"
    assert failed.last_test_message == "The access token is invalid"
    assert desk.connections.test(desk.conn.id, by="ada").status == "active"  # fixed: active again


def test_a_key_file_that_cannot_be_made_says_which_setting_to_change(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings = load_settings(home=tmp_path / "home", secrets_key_file=blocker / "secrets.key")
    with pytest.raises(ConfigError, match="ASSISTANT_SECRETS_KEY_FILE"):
        Vault.from_settings(settings)
