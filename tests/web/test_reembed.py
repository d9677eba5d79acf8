"""Choosing a brand whose vectors another embedding model made re-embeds it, with progress."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import HashEmbedder
from tests.web.test_app import APP, sign_in, texts


class OldModel(HashEmbedder):
    name = "test/old-model"


def test_the_page_re_embeds_a_brand_indexed_by_another_model(env):
    from assistant.services import Services

    old = Services(env.settings, embedder=OldModel())
    old.knowledge.index_brand(old.brand("bottega-pasubio"))
    recorded = len(old.knowledge.record.ids("bottega-pasubio"))
    assert env.knowledge.model_change("bottega-pasubio") == ("test/old-model", env.embedder.name)

    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at)
    at.session_state["brand"] = "bottega-pasubio"
    at.run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert "test/old-model" in shown and "ricalcolo gli embedding" in shown
    assert f"{recorded} documenti ricalcolati" in shown
    assert env.knowledge.model_change("bottega-pasubio") is None
    assert env.store.count("bottega-pasubio") == recorded

    at.run()  # the next run has nothing to do
    assert "ricalcolo gli embedding" not in texts(at)
