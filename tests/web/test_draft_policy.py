"""The draft page for a brand that allows only `local`, with a compatible server configured (on a
listening loopback socket): the page says, in Italian, which provider was refused and how to
change it; the brief is kept; nothing connects to the server; the account log shows the refusal."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from assistant.services import Services
from tests.utils.policy import TcpListener, restrict
from tests.web.test_app import APP, BRIEF, send, shown, sign_in


def test_a_local_only_brand_refuses_the_compatible_server_in_italian(monkeypatch, env, brands_dir):
    restrict(brands_dir, "bottega-pasubio", allowed_providers=["local"])
    with TcpListener() as listener:
        monkeypatch.setenv("ASSISTANT_PROVIDER", "compatible")
        monkeypatch.setenv("ASSISTANT_BASE_URL", listener.base_url)
        at = AppTest.from_file(APP, default_timeout=60)
        sign_in(at)
        at.run()
        assert not at.exception, at.exception
        # the sidebar names the active model and says this brand refuses it (the server is not probed)
        sidebar = "\n".join(shown(w.value) for w in at.sidebar.warning)
        assert "Il brand Bottega Pasubio non consente" in sidebar and "«compatible»" in sidebar
        send(at, BRIEF)
        assert not at.exception, at.exception
        errors = "\n".join(shown(e.value) for e in at.error)
        assert "Il brand Bottega Pasubio non consente di inviare i suoi contenuti al fornitore «compatible»" in errors
        assert "allowed_providers nel suo brand.yaml: local" in errors and "pannello Modelli" in errors
        assert "Non è stato inviato nulla" in errors
        assert listener.connections() == 0 and listener.received == b""
    svc = Services()
    view = svc.desk.get(svc.people.actor("giulia"), at.session_state["desk-session-bottega-pasubio"])
    assert view.turns[0].text == BRIEF and view.turns[0].state == "failed"  # the brief is kept

    admin = AppTest.from_file(APP, default_timeout=60)
    sign_in(admin, username="root")
    admin.run()
    admin.switch_page("views/people.py").run()
    assert not admin.exception, admin.exception
    log = admin.dataframe[-1].value.to_string()
    assert "richiesta rifiutata dalla policy del brand bottega-pasubio: compatible" in log
    assert "per la stesura" in log and "giulia" in log
