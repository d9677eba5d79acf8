"""Settings: ASSISTANT_ prefix, .env, fail fast with a message that names the variable."""

from __future__ import annotations

import pytest

from assistant.errors import ConfigError
from assistant.settings import load_settings


def test_env_prefix_and_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("ASSISTANT_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("ASSISTANT_CHROMA_PORT", "8123")
    s = load_settings()
    assert s.home == (tmp_path / "state").resolve()
    assert s.chroma_dir == s.home / "chroma"
    assert (s.chroma_host, s.chroma_port) == ("127.0.0.1", 8123)
    assert s.embedding == "local" and s.openai_api_key is None


def test_dotenv_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("ASSISTANT_MAX_UPLOAD_MB=2.5\n", encoding="utf-8")
    assert load_settings().max_upload_bytes == 2_500_000  # MB as written: 10^6 bytes


def test_invalid_values_fail_fast_naming_the_setting(monkeypatch):
    monkeypatch.setenv("ASSISTANT_CHROMA_PORT", "not-a-port")
    with pytest.raises(ConfigError, match="chroma_port"):
        load_settings()


def test_openai_embeddings_need_a_key(monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDING", "openai")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        load_settings()
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-not-real")
    s = load_settings()
    assert s.openai_api_key.get_secret_value() == "test-key-not-real"
    assert "test-key-not-real" not in repr(s)  # secrets never reach logs


def test_chroma_server_unreachable_is_a_config_error(tmp_path):
    from assistant.services import Services
    from tests.conftest import HashEmbedder

    s = load_settings(home=tmp_path, chroma_host="127.0.0.1", chroma_port=9)  # nothing listens on port 9
    with pytest.raises(ConfigError, match="ASSISTANT_CHROMA_HOST"):
        Services(s, embedder=HashEmbedder()).store.client()


def test_publishing_retries_stay_within_mastodons_idempotency_window(monkeypatch):
    """Mastodon keeps an Idempotency-Key for an hour: waits that could span longer are refused at
    start, naming the settings to lower; the defaults fit (30 s doubling to 900 s, 8 tries)."""
    assert load_settings().publish_retry_span_seconds == 30 + 60 + 120 + 240 + 480 + 900 + 900
    monkeypatch.setenv("ASSISTANT_PUBLISH_RETRY_MAX_SECONDS", "3600")
    with pytest.raises(ConfigError, match="ASSISTANT_PUBLISH_RETRY_MAX_SECONDS") as err:
        load_settings()
    assert "3810 s" in str(err.value) and "Idempotency-Key" in str(err.value)
    monkeypatch.setenv("ASSISTANT_PUBLISH_MAX_ATTEMPTS", "5")  # fewer tries: 30+60+120+240 s
    assert load_settings().publish_retry_span_seconds == 450
