"""`assistant models show|set|test` through Typer's CliRunner: the key from standard input, shown
only masked; the environment named when it wins; a test against a real compatible server."""

from __future__ import annotations

import json
import stat

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.utils.openai_server import ScriptedServer

KEY = "srv-key-0123456789abcdef"


@pytest.fixture
def home(monkeypatch, tmp_path, hash_embedder):
    import assistant.cli.common as cli

    from assistant.services import Services
    from assistant.settings import load_settings

    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ASSISTANT_EMBEDDING", "fake")
    monkeypatch.setattr(cli, "services", lambda **kw: Services(load_settings(), embedder=hash_embedder))
    return tmp_path / "home"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_set_show_and_test_a_compatible_server(home):
    with ScriptedServer(reply="Pronto!", api_key=KEY) as srv:
        code, out, err = run("models", "set", "compatible", "--base-url", srv.base_url, "--model", "test-model",
                             "--key-stdin", stdin=KEY + "\n")
        assert code == 0, err
        assert "saved: compatible / test-model (key srv…cdef)" in out and KEY not in out + err
        assert stat.S_IMODE((home / "models.json").stat().st_mode) == 0o600
        code, out, err = run("models", "show", "--json")
        shown = json.loads(out)
        assert (shown["provider"], shown["model"], shown["base_url"]) == ("compatible", "test-model", srv.base_url)
        assert shown["key"] == "srv…cdef" and shown["key_from"] == "saved" and KEY not in out
        code, out, err = run("models", "test")
        assert code == 0, err
        assert "compatible / test-model answered" in out and out.rstrip().endswith("Pronto!")
        code, out, err = run("models", "test", "compatible", "--base-url", srv.base_url, "--key-stdin",
                             stdin="wrong-key-000000\n")
    assert code == 1 and "failed (auth): HTTP 401: bad key" in err and "wrong-key-000000" not in err


def test_show_names_the_variable_that_wins(home, monkeypatch):
    monkeypatch.setenv("ASSISTANT_PROVIDER", "fake")
    code, out, err = run("models", "show")
    assert code == 0, err
    assert "drafts use: fake / fake-echo-1" in out
    assert "ASSISTANT_PROVIDER is set in the environment: it wins over the saved provider" in out


def test_an_incomplete_choice_or_a_non_administrator_is_refused(home):
    code, _, err = run("models", "set", "compatible")
    assert code == 2 and "url_missing" in err
    code, _, err = run("models", "set", "local", "--by", "nobody")
    assert code == 1 and "nobody" in err
    assert not (home / "models.json").exists()
