"""The Streamlit app over the library (AppTest; the real-browser flow arrives with the app issue)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from assistant.services import Services
from tests.conftest import REPO


@pytest.fixture
def app(monkeypatch, tmp_path, brands_dir):
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ASSISTANT_BRANDS_DIR", str(brands_dir))
    monkeypatch.setenv("ASSISTANT_EMBEDDING", "fake")
    svc = Services()
    svc.knowledge.index_brand(svc.brand("bottega-pasubio"))
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=60)
    at.run()
    return at


def test_lists_brands_and_searches_the_knowledge_base(app):
    assert not app.exception
    assert list(app.selectbox(key="brand").options) == ["Bottega Pasubio", "Paycairn", "Villa Moranda"]
    app.selectbox(key="brand").set_value("bottega-pasubio").run()
    assert any("post" in c.value and "indicizzati" in c.value for c in app.caption)
    app.text_input[0].input("lana").run()
    assert not app.exception
    assert any("punteggio" in m.value for m in app.markdown)


def test_english_interface(app):
    app.radio(key="ui_lang").set_value("en").run()
    assert not app.exception
    assert "Search the knowledge base" in [h.value for h in app.header]
