"""The model choice saved in the app: a 0600 file in ASSISTANT_HOME (refused when others can read
it), keys never shown in full, never in a repr or a log line; the environment wins, field by field;
keys per service; the saved choice drafts in every process on the same home; "test connection"
against a real OpenAI-compatible server on loopback, with the exact error when it fails."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import subprocess
import sys

import pytest

from assistant.accounts import Actor, Grant, PermissionDenied
from assistant.drafting.models import (ModelChoice, ModelStore, changed, check_connection, effective_settings, mask,
                                       overrides, problems, status)
from assistant.errors import ConfigError, InvalidRequest
from assistant.settings import load_settings
from tests.utils.openai_server import ScriptedServer

ADMIN = Actor(user_id=1, username="root", name="Root Admin", grants=(Grant(role="admin", brand="*"),))
EDITOR = Actor(user_id=2, username="giulia", name="Giulia", grants=(Grant(role="editor", brand="*"),))
OPENAI_KEY = "sk-test-openai-0123456789abcdef"
SERVER_KEY = "srv-key-9876543210fedcba"


def auth(server: ScriptedServer) -> str | None:
    """The Authorization header of the server's last request."""
    return {k.lower(): v for k, v in server.headers[-1].items()}.get("authorization")


def compatible(url: str, key: str | None = SERVER_KEY, model: str = "test-model") -> ModelChoice:
    return changed(ModelChoice(), provider="compatible", base_url=url, model=model, api_key=key)


def test_saved_with_0600_and_read_back_after_a_restart(tmp_path):
    store = ModelStore(tmp_path)
    assert store.load() == ModelChoice() and store.stamp() is None
    saved = store.save(compatible("http://127.0.0.1:11434/v1"), by=ADMIN)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.path.parent == tmp_path and store.path.name == "models.json"
    again = ModelStore(tmp_path).load()  # a new process: only the file
    assert (again.provider, again.base_url, again.model) == ("compatible", "http://127.0.0.1:11434/v1", "test-model")
    assert again.compatible_api_key.get_secret_value() == SERVER_KEY and again.updated_by == "root"
    assert saved.updated_at and not list(tmp_path.glob(".models.json.*"))  # no temporary file left behind


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_a_file_others_can_read_is_refused(tmp_path, mode):
    store = ModelStore(tmp_path)
    store.save(compatible("http://127.0.0.1:11434/v1"), by=ADMIN)
    os.chmod(store.path, mode)
    with pytest.raises(ConfigError, match=f"can be read by others.*chmod 600 {store.path}"):
        store.load()


def test_a_damaged_file_says_what_to_do(tmp_path):
    (tmp_path / "models.json").write_text("{not json", encoding="utf-8")
    os.chmod(tmp_path / "models.json", 0o600)
    with pytest.raises(ConfigError, match="delete it and choose the model again"):
        ModelStore(tmp_path).load()


def test_keys_never_in_a_repr_a_log_line_or_what_is_shown(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    store = ModelStore(tmp_path)
    choice = changed(ModelChoice(), provider="openai", model="gpt-4.1-mini", api_key=OPENAI_KEY)
    store.save(choice, by=ADMIN)
    loaded = store.load()
    shown = [repr(choice), str(choice), repr(loaded), repr(store), json.dumps(loaded.public()),
             repr(status(load_settings(home=tmp_path), loaded)), caplog.text]
    assert all(OPENAI_KEY not in s for s in shown)
    assert loaded.public()["key"] == mask(OPENAI_KEY) == "sk-…cdef"
    assert "model choice saved by root" in caplog.text  # something was logged, and it holds no key
    assert OPENAI_KEY in store.path.read_text()  # the key is in the 0600 file, and only there


def test_masks_show_little_of_short_keys():
    assert mask("sk-proj-abcdefghijklmnop") == "sk-…mnop"
    assert mask("12345678") == "…78" and mask("1234") == "…" and mask(None) == ""


def test_only_an_administrator_of_the_installation_may_save_or_test(tmp_path):
    store = ModelStore(tmp_path)
    brand_admin = Actor(user_id=3, username="anna", name="Anna", grants=(Grant(role="admin", brand="paycairn"),))
    for who in (EDITOR, brand_admin):
        with pytest.raises(PermissionDenied, match="only an administrator"):
            store.save(compatible("http://127.0.0.1:11434/v1"), by=who)
        with pytest.raises(PermissionDenied, match="only an administrator"):
            check_connection(load_settings(home=tmp_path), compatible("http://127.0.0.1:9/v1"), by=who)
    assert not store.path.exists()


def test_incomplete_choices_are_problems_and_refused(tmp_path):
    assert problems(changed(ModelChoice(), provider="compatible")) == ["url_missing"]
    assert problems(changed(ModelChoice(), provider="compatible", base_url="ftp://x")) == ["url_scheme"]
    assert problems(changed(ModelChoice(), provider="compatible", base_url="http://127.0.0.1:99999/v1")) == \
        ["url_invalid"]
    assert problems(changed(ModelChoice(), provider="openai"), load_settings(home=tmp_path)) == ["key_missing"]
    assert problems(changed(ModelChoice(), provider="local", local_model_path=str(tmp_path / "no.gguf"))) == \
        ["model_file_missing"]
    assert problems(changed(ModelChoice(), provider="local")) == []  # the bundled model
    with pytest.raises(InvalidRequest, match="url_missing"):
        ModelStore(tmp_path).save(changed(ModelChoice(), provider="compatible"), by=ADMIN)
    with pytest.raises(InvalidRequest, match="unknown provider 'gemini'"):
        changed(ModelChoice(), provider="gemini")


def test_a_blank_key_keeps_the_saved_one_and_a_new_address_drops_it():
    first = compatible("http://127.0.0.1:11434/v1")
    same = changed(first, provider="compatible", base_url="http://127.0.0.1:11434/v1/", model="llama3.2")
    assert same.key() == SERVER_KEY and same.model == "llama3.2"
    other = changed(first, provider="compatible", base_url="http://10.0.0.5:8000/v1")
    assert other.key() is None and other.compatible_api_key is None  # keys per service: not to another server
    assert changed(first, provider="compatible", base_url=first.base_url, forget_key=True).key() is None
    to_openai = changed(first, provider="openai", api_key=OPENAI_KEY)
    assert to_openai.key() == OPENAI_KEY and to_openai.base_url is None and to_openai.compatible_key() is None


# --- the environment wins --------------------------------------------------------------------

def test_the_saved_choice_fills_what_the_environment_leaves(tmp_path):
    settings = load_settings(home=tmp_path)
    used = effective_settings(settings, compatible("http://127.0.0.1:11434/v1"))
    assert (used.provider, used.base_url, used.model) == ("compatible", "http://127.0.0.1:11434/v1", "test-model")
    assert used.compatible_api_key.get_secret_value() == SERVER_KEY and overrides(settings) == {}


def test_environment_variables_win_and_are_named(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_MODEL", "from-the-environment")
    monkeypatch.setenv("ASSISTANT_BASE_URL", "http://127.0.0.1:8080/v1")
    settings = load_settings(home=tmp_path)
    used = effective_settings(settings, compatible("http://127.0.0.1:11434/v1"))
    assert (used.provider, used.model, used.base_url) == ("compatible", "from-the-environment",
                                                          "http://127.0.0.1:8080/v1")
    assert used.compatible_api_key is None  # the saved key belongs to the saved address, not the environment's
    assert overrides(settings) == {"model": "ASSISTANT_MODEL", "base_url": "ASSISTANT_BASE_URL"}
    now = status(settings, compatible("http://127.0.0.1:11434/v1"))
    assert (now.model, now.base_url, now.key) == ("from-the-environment", "http://127.0.0.1:8080/v1", "")


def test_a_provider_from_the_environment_ignores_the_saved_model_and_key(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_PROVIDER", "fake")
    settings = load_settings(home=tmp_path)
    assert effective_settings(settings, compatible("http://127.0.0.1:11434/v1")) is settings
    assert overrides(settings) == {"provider": "ASSISTANT_PROVIDER"}
    assert status(settings, compatible("http://127.0.0.1:11434/v1")).provider == "fake"


def test_the_openai_key_from_the_environment_wins_and_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment-0000")
    settings = load_settings(home=tmp_path)
    saved = changed(ModelChoice(), provider="openai", api_key=OPENAI_KEY)
    used = effective_settings(settings, saved)
    assert used.openai_api_key.get_secret_value() == "sk-from-the-environment-0000"
    now = status(settings, saved)
    assert (now.provider, now.key_from, now.key) == ("openai", "OPENAI_API_KEY", "sk-…0000")


def test_settings_from_dotenv_win_too(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("ASSISTANT_MODEL=from-dotenv\n", encoding="utf-8")
    settings = load_settings(home=tmp_path)
    assert effective_settings(settings, compatible("http://127.0.0.1:11434/v1")).model == "from-dotenv"
    assert overrides(settings) == {"model": "ASSISTANT_MODEL"}


# --- the saved choice drafts ----------------------------------------------------------------------

def test_the_saved_choice_drafts_in_every_services_on_the_same_home(tmp_path, brands_dir, hash_embedder):
    from assistant.drafting.schemas import DraftRequest
    from assistant.services import Services

    def services():
        return Services(load_settings(home=tmp_path / "home", brands_dir=brands_dir), embedder=hash_embedder)

    app_a, app_b = services(), services()  # two app processes: nothing shared but the home
    with ScriptedServer(reply="Sabato in bottega si rammenda. #BottegaPasubio", api_key=SERVER_KEY) as srv:
        app_a.models.save(compatible(srv.base_url), by=ADMIN)
        provider = app_b.provider
        assert (provider.name, provider.model, provider.base_url) == ("compatible", "test-model", srv.base_url)
        assert app_b.provider is provider  # built once while the choice stays the same
        [draft] = app_b.drafter().draft(DraftRequest(brand="bottega-pasubio", platforms=["instagram"],
                                                     brief="Laboratorio di rammendo sabato"))
        assert draft.provider == "compatible" and draft.text.startswith("Sabato in bottega")
        assert auth(srv) == f"Bearer {SERVER_KEY}"
        app_a.models.save(changed(app_a.models.load(), provider="compatible", base_url=srv.base_url,
                                  model="another-model"), by=ADMIN)
        assert app_b.provider.model == "another-model"  # the other process sees the new choice


def test_a_new_process_on_the_same_home_uses_the_saved_choice(tmp_path):
    with ScriptedServer() as srv:
        ModelStore(tmp_path).save(compatible(srv.base_url, model="shared-model"), by=ADMIN)
        code = "from assistant.services import Services; p = Services().provider; print(p.name, p.model, p.base_url)"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                              env=env | {"ASSISTANT_HOME": str(tmp_path), "ASSISTANT_EMBEDDING": "fake"})
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["compatible", "shared-model", srv.base_url]
        assert SERVER_KEY not in done.stdout + done.stderr


# --- test connection ------------------------------------------------------------------------------

def test_connection_answer_from_a_real_compatible_server(tmp_path, network_guard, caplog):
    caplog.set_level(logging.DEBUG)
    with ScriptedServer(reply="Pronto a scrivere per voi!", api_key=SERVER_KEY) as srv:
        result = check_connection(load_settings(home=tmp_path), compatible(srv.base_url), by=ADMIN)
    assert result.ok and result.answer == "Pronto a scrivere per voi!" and result.failure is None
    assert (result.provider, result.model) == ("compatible", "test-model") and result.latency_ms >= 0
    sent = srv.requests[-1]
    assert sent["model"] == "test-model" and "connection test from Copydesk" in sent["messages"][0]["content"]
    assert auth(srv) == f"Bearer {SERVER_KEY}"
    assert SERVER_KEY not in caplog.text and network_guard.attempts == []


def test_connection_with_a_wrong_key_shows_the_servers_words(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with ScriptedServer(api_key="the-right-key-123456") as srv:
        result = check_connection(load_settings(home=tmp_path), compatible(srv.base_url, key=SERVER_KEY), by=ADMIN)
    assert not result.ok and result.failure == "auth"
    assert result.detail == "HTTP 401: bad key"  # what the server said, as it said it
    assert len(srv.requests) == 1  # no retries in a test
    assert SERVER_KEY not in result.detail + repr(result) + caplog.text


def test_connection_to_a_closed_port_shows_the_network_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    result = check_connection(load_settings(home=tmp_path), compatible(f"http://127.0.0.1:{port}/v1"), by=ADMIN)
    assert not result.ok and result.failure == "unreachable"
    assert "Connection refused" in result.detail


def test_connection_tests_the_form_not_the_environment(monkeypatch, tmp_path):
    """The environment's provider and its compatible key stay out of a test of another server."""
    monkeypatch.setenv("ASSISTANT_PROVIDER", "fake")
    monkeypatch.setenv("ASSISTANT_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ASSISTANT_COMPATIBLE_API_KEY", "env-key-for-another-server")
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    with ScriptedServer() as srv:
        result = check_connection(load_settings(home=tmp_path), compatible(srv.base_url, key=None), by=ADMIN)
    assert result.ok and result.provider == "compatible"
    sent = json.dumps(srv.headers[-1])
    assert "env-key-for-another-server" not in sent and OPENAI_KEY not in sent
