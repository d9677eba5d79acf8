"""The review page's "Transparency" panel (assistant/web/transparency.py) with AppTest: who wrote
which version, the sources read, the AI text kept, the editorially responsible approver (or that
nobody is yet), the record's downloads; in Italian and English; never for a client."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from assistant.services import Services
from tests.factories import make_draft
from tests.web.test_app import APP, shown, sign_in

GOOD = "Sabato laboratorio di maglia in bottega a Schio: porta i ferri, il tè lo offriamo noi. #BottegaPasubio"
EDITED = "Sabato laboratorio di maglia in bottega a Schio: porta i ferri e la lana. #BottegaPasubio"


def panel(at, label: str):
    [found] = [e for e in at.expander if e.label == label]
    return found


def said(element) -> str:
    parts = [m.value for m in element.markdown] + [c.value for c in element.caption]
    parts += [s.value for s in element.success] + [i.value for i in element.info]
    return "\n".join(shown(p) for p in parts)


def review_page(username: str = "giulia", role: str = "approver", brand: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at, username=username, role=role, brand=brand)
    return at


def test_the_panel_names_authors_sources_kept_text_and_the_responsible_approver(env):
    at = review_page()
    svc = Services()
    item = svc.review.add_draft(make_draft(GOOD, brand="bottega-pasubio"), by="marco", submit=True)
    item = svc.review.edit(item.id, EDITED, by="marco", base_version=item.version)
    at.run()
    at.switch_page("views/review.py").run()
    assert not at.exception, at.exception
    box = panel(at, "Trasparenza")
    text = said(box)
    assert "**v0** · modello fake-1 (fake), prompt post@1" in text and "chiesto da Marco (utente n." in text
    assert "**v1** · Marco (utente n." in text and "(Europe/Rome)" in text
    assert "Testo dell'IA mantenuto finora:" in text
    assert "Non ancora approvato: nessuno ha ancora la responsabilità editoriale" in text
    sources = panel(at, "Fonti lette dal modello: 1")
    assert "**v0 · post dell'archivio** · 0,81 · s1" in said(sources)
    assert "Maglioni" in "\n".join(str(h.proto.body) for h in sources.get("html"))  # the snippet, as text
    labels = [b.label for b in at.get("download_button")]
    assert {"Registro (JSON)", "Registro (HTML)", "Registro (PDF)"} <= set(labels)

    svc.review.approve(item.id, by="giulia")
    at.run()
    text = said(panel(at, "Trasparenza"))
    assert "Responsabile editoriale: Giulia (utente n." in text and "Generato dall'IA: sì" in text
    assert "Testo dell'IA mantenuto all'approvazione:" in text

    at.sidebar.radio(key="ui_lang").set_value("en").run()
    assert not at.exception, at.exception
    text = said(panel(at, "Transparency"))
    assert "Editorially responsible: Giulia (user #" in text and "AI text kept at approval:" in text
    assert "Sources the model read: 1" in [e.label for e in at.expander]
    assert {"Record (JSON)", "Record (HTML)", "Record (PDF)"} <= {b.label for b in at.get("download_button")}


def test_a_client_sees_no_record(env):
    at = review_page("carla", role="client", brand="bottega-pasubio")
    svc = Services()
    root = svc.people.actor("root")
    item = svc.review.add_draft(make_draft("Per Carla", brand="bottega-pasubio"), by=root, submit=True)
    svc.shares.create("bottega-pasubio", [item.id], to="Carla <carla@example.com>", by=root)
    at.run()
    at.switch_page("views/review.py").run()
    assert not at.exception, at.exception
    assert at.dataframe[0].value.shape[0] == 1  # the shared item is open
    assert not [e for e in at.expander if e.label == "Trasparenza"] and not at.get("download_button")
