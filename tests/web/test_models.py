"""The models panel (views/models.py) with AppTest: only administrators reach it; "test connection"
against a real OpenAI-compatible server on loopback shows the model's answer, or the server's exact
words in a plain-text block; "save" makes the choice the app drafts with; the environment wins
and the panel names the variable; keys are shown only masked."""

from __future__ import annotations

import json
import stat

import pytest
from streamlit.testing.v1 import AppTest

from assistant.accounts import Actor, Grant, PermissionDenied
from assistant.drafting.models import ModelChoice
from assistant.services import Services
from tests.conftest import REPO
from tests.utils.openai_server import ScriptedServer
from tests.web.test_app import APP, shown, sign_in, texts

PAGE = "views/models.py"
KEY = "srv-key-0123456789abcdef"


def admin_on_the_panel() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at, username="root")  # the administrator sign_in makes first
    at.run()
    assert not at.exception, at.exception
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def fill_compatible(at: AppTest, url: str, key: str, model: str = "test-model") -> None:
    at.selectbox(key="models_provider").set_value("compatible").run()
    at.text_input(key="models_base_url").set_value(url)
    at.text_input(key="models_model_compatible").set_value(model)
    at.text_input(key="models_key_compatible").set_value(key).run()


def test_an_administrator_sees_the_panel_and_the_environment_that_wins(env):
    at = admin_on_the_panel()
    assert [t.value for t in at.title] == ["Modelli e fornitori"]
    page = texts(at)
    assert "Le bozze usano ora: Modello di prova (test) · fake-echo-1" in page
    assert any("ASSISTANT_PROVIDER è impostata nell'ambiente" in shown(i.value) for i in at.info)
    assert list(at.selectbox(key="models_provider").options) == [
        "Locale (su questo computer, offline)", "OpenAI", "Server compatibile OpenAI (Ollama, vLLM, LM Studio, llama.cpp)"]
    at.sidebar.radio(key="ui_lang").set_value("en").run()
    assert "ASSISTANT_PROVIDER is set in the environment" in texts(at)
    assert [b.label for b in at.button][:2] == ["Test connection", "Save"]


def test_everyone_else_neither_sees_it_nor_may_save(env):
    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at, username="giulia")  # an approver on every brand, not an administrator
    at.run()
    assert not at.exception, at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)  # not in the navigation
    page = AppTest.from_file(str(REPO / "assistant" / "web" / PAGE), default_timeout=60)
    page.session_state["actor"] = Services().people.actor("giulia")
    page.run()  # opened directly, the page itself refuses
    assert not page.exception, page.exception
    assert "Solo gli amministratori scelgono i modelli." in texts(page) and not page.button
    with pytest.raises(PermissionDenied):  # and so does the library
        Services().models.save(ModelChoice(provider="local"), by=Services().people.actor("giulia"))
    brand_admin = Actor(user_id=99, username="anna", name="Anna", grants=(Grant(role="admin", brand="paycairn"),))
    with pytest.raises(PermissionDenied):
        Services().models.save(ModelChoice(provider="local"), by=brand_admin)


def test_test_connection_shows_the_answer_and_then_the_exact_error(env):
    at = admin_on_the_panel()
    with ScriptedServer(reply="Pronto a scrivere *per voi*!", api_key=KEY) as srv:
        fill_compatible(at, srv.base_url, KEY)
        at.button(key="models_test").click().run()
        assert not at.exception, at.exception
        assert any("Risposta di test-model" in s.value for s in at.success)
        assert [c.value for c in at.code] == ["Pronto a scrivere *per voi*!"]  # plain text: no Markdown
        at.text_input(key="models_key_compatible").set_value("a-wrong-key-00000000").run()
        at.button(key="models_test").click().run()
    assert not at.exception, at.exception
    errors = [shown(e.value) for e in at.error]
    assert any(e.startswith("Prova non riuscita") and "il server ha rifiutato la chiave API." in e for e in errors)
    assert [c.value for c in at.code] == ["HTTP 401: bad key"]  # the server's own words
    assert "a-wrong-key-00000000" not in texts(at)
    assert not Services().models.path.exists()  # a test saves nothing


def test_a_closed_port_is_shown_as_the_network_said_it(env):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    at = admin_on_the_panel()
    fill_compatible(at, f"http://127.0.0.1:{port}/v1", KEY)
    at.button(key="models_test").click().run()
    assert not at.exception, at.exception
    assert any("il server non si raggiunge" in shown(e.value) for e in at.error)
    assert "Connection refused" in at.code[0].value


def test_a_missing_address_is_said_next_to_the_buttons(env):
    at = admin_on_the_panel()
    at.selectbox(key="models_provider").set_value("compatible").run()
    at.button(key="models_save").click().run()
    assert any("Scrivete l'indirizzo del server" in shown(e.value) for e in at.error)
    assert not Services().models.path.exists()


def test_save_makes_the_app_draft_with_the_choice_and_masks_the_key(env, monkeypatch):
    monkeypatch.delenv("ASSISTANT_PROVIDER")  # nothing in the environment: the saved choice decides
    at = admin_on_the_panel()
    with ScriptedServer(reply="Sabato si rammenda. #BottegaPasubio", api_key=KEY) as srv:
        fill_compatible(at, srv.base_url, KEY)
        at.button(key="models_save").click().run()
        assert not at.exception, at.exception
        assert "Scelta salvata: le prossime bozze la usano" in texts(at)
        assert any("compatible · test-model" in c.value for c in at.sidebar.caption)  # the active model
        assert "Chiave salvata: srv…cdef" in texts(at) and KEY not in texts(at)
        store = Services().models
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600 and json.loads(store.path.read_text())["provider"] \
            == "compatible"
        from assistant.web.common import services

        provider = services().provider  # the app's own services
        assert (provider.name, provider.base_url) == ("compatible", srv.base_url)
        assert provider.complete([{"role": "user", "content": "Ciao"}]).startswith("Sabato")
        assert {k.lower(): v for k, v in srv.headers[-1].items()}["authorization"] == f"Bearer {KEY}"
    assert at.text_input(key="models_key_compatible").value == ""  # the typed key left the form once saved
