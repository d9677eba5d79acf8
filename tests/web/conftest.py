"""The web tests' environment: a temporary home, the demo brands, the fake provider and embedding."""

from __future__ import annotations

import pytest


@pytest.fixture
def env(monkeypatch, tmp_path, brands_dir):
    """ASSISTANT_* for the app under test; returns the app's own (per-configuration) services."""
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ASSISTANT_BRANDS_DIR", str(brands_dir))
    monkeypatch.setenv("ASSISTANT_EMBEDDING", "fake")
    monkeypatch.setenv("ASSISTANT_PROVIDER", "fake")
    from assistant.web.common import services

    return services()
