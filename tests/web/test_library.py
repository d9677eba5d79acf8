"""The library page's uploads with AppTest: a file with no platform column asks for the platform
before anything is ingested and the choice reaches the rows; times without a zone are read in the
brand's zone unless the person says they are UTC; the outcome shows right under the button and the
header counts move; the uploader's limit is Copydesk's; wrong files get a message in the page's
language next to the field; the uploader's button speaks the page's language."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from streamlit.testing.v1 import AppTest

from tests.web.test_app import APP, shown, sign_in, texts

BRAND = "bottega-pasubio"  # Europe/Rome
NO_PLATFORM = ("testo,data,mi piace\n"
               "Filò del giovedì: si lavora a maglia insieme in bottega,14/03/2026 18:30,40\n"
               "Calze di lana Foza per l'estate in montagna,14/07/2026 18:30,25\n").encode()


def open_library(lang: str = "it") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at)
    at.session_state["ui_lang"] = lang
    at.switch_page("views/library.py").run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def library(env):
    return open_library()


def upload(at, key: str, name: str, raw: bytes, mime: str = "text/csv") -> None:
    at.file_uploader(key=key).set_value((name, raw, mime)).run()
    assert not at.exception, at.exception


def walk(node) -> list:
    """Every element under `node`, in the order the page shows them."""
    out = [node]
    for child in getattr(node, "children", {}).values():
        out.extend(walk(child))
    return out


def position(at, predicate) -> int:
    return next(i for i, el in enumerate(walk(at.main)) if predicate(el))


def stored_posts(env) -> dict[str, dict]:
    return {d.text: d.metadata for d in env.knowledge.record.documents(BRAND, kinds=["post"])}


def test_a_file_without_platform_asks_first_and_the_choice_reaches_the_rows(library, env):
    before = env.knowledge.counts(BRAND)["posts"]
    upload(library, "posts_upload", "senza_piattaforma.csv", NO_PLATFORM)
    ask = library.selectbox(key="posts_platform")
    assert ask.value is None and ask.label.startswith("Il file non ha una colonna con la piattaforma")
    assert "Instagram" in ask.options and ask.options[-1] == "Più piattaforme / non so"
    assert library.button(key="ingest-posts").disabled  # nothing goes in before the question is answered
    assert "Scegli la piattaforma per poter importare i post." in texts(library)
    assert env.knowledge.counts(BRAND)["posts"] == before

    ask.set_value("instagram").run()
    assert not library.button(key="ingest-posts").disabled
    preview = library.dataframe[0].value
    assert set(preview["Piattaforma"]) == {"Instagram"}
    # a naive 18:30 is the brand's 18:30, in winter (CET) and in summer (CEST)
    assert list(preview["Data"]) == ["14 mar 2026, 18:30 (Europe/Rome)", "14 lug 2026, 18:30 (Europe/Rome)"]

    library.button(key="ingest-posts").click().run()
    assert not library.exception, library.exception
    posts = stored_posts(env)
    march = posts["Filò del giovedì: si lavora a maglia insieme in bottega"]
    july = posts["Calze di lana Foza per l'estate in montagna"]
    assert march["platform"] == july["platform"] == "instagram"
    assert datetime.fromtimestamp(march["posted_ts"], timezone.utc) == datetime(2026, 3, 14, 17, 30, tzinfo=timezone.utc)
    assert datetime.fromtimestamp(july["posted_ts"], timezone.utc) == datetime(2026, 7, 14, 16, 30, tzinfo=timezone.utc)
    # the header counts were read after the upload
    assert env.knowledge.counts(BRAND)["posts"] == before + 2
    assert any(f"{before + 2} post e" in shown(c.value) for c in library.caption)
    # the outcome is right under its button, before the next upload field
    done = "Aggiunti 2, aggiornati 0, sostituiti 0, invariati 0, scartati 0."
    assert any(s.value == done for s in library.success)
    button = position(library, lambda el: getattr(el, "key", None) == "ingest-posts")
    result = position(library, lambda el: el.type == "success" and el.value == done)
    next_field = position(library, lambda el: getattr(el, "key", None) == "guideline_upload")
    assert button < result < next_field


def test_these_times_are_utc_and_mixed_platforms(library, env):
    upload(library, "posts_upload", "utc.csv", NO_PLATFORM)
    library.selectbox(key="posts_platform").set_value("mixed").run()
    library.checkbox(key="posts_utc").check().run()
    assert list(library.dataframe[0].value["Data"]) == ["14 mar 2026, 19:30 (Europe/Rome)",
                                                        "14 lug 2026, 20:30 (Europe/Rome)"]
    library.button(key="ingest-posts").click().run()
    march = stored_posts(env)["Filò del giovedì: si lavora a maglia insieme in bottega"]
    assert march["platform"] == "" and march["posted_at"] == "2026-03-14T18:30:00+00:00"


def test_a_file_with_a_platform_column_is_not_asked_about(library, env):
    raw = "text,platform,date\nLana nuova in bottega,Facebook,2026-03-14T18:30:00+01:00\n".encode()
    upload(library, "posts_upload", "con_piattaforma.csv", raw)
    assert not [s for s in library.selectbox if s.key == "posts_platform"]
    library.button(key="ingest-posts").click().run()
    post = stored_posts(env)["Lana nuova in bottega"]
    assert post["platform"] == "facebook" and post["posted_at"] == "2026-03-14T18:30:00+01:00"  # its offset kept


def test_wrong_type_too_big_and_unreadable_files_get_a_message_next_to_the_field(monkeypatch, env):
    monkeypatch.setenv("ASSISTANT_MAX_UPLOAD_MB", "1")
    at = open_library()
    assert at.file_uploader(key="posts_upload").proto.max_upload_size_mb == 1  # Streamlit's own, in whole MiB
    upload(at, "posts_upload", "foto.png", b"\x89PNG...", "image/png")
    assert [e.value for e in at.error] == ["foto.png: questo tipo di file non va bene qui; carica un file "
                                           ".csv / .tsv / .txt."]
    # over Copydesk's 10^6 bytes, under Streamlit's 1 MiB: the page says it, in its language
    upload(at, "posts_upload", "grande.csv", b"text\n" + b"x" * 1_020_000)
    assert [shown(e.value) for e in at.error] == ["grande.csv: 1,0 MB superano il limite di 1 MB. Dividi il file."]
    upload(at, "posts_upload", "foglio.csv", b"PK\x03\x04\x00\x00binary")
    assert "sembra un file binario" in shown(at.error[0].value) and "binary file" not in shown(at.error[0].value)


def test_the_same_messages_in_english(env):
    # one AppTest per test: AppTest keeps a widget's formatted value across instances in one test
    at = open_library("en")
    upload(at, "posts_upload", "foglio.csv", b"PK\x03\x04\x00\x00binary")
    assert "looks like a binary file" in shown(at.error[0].value) and "sembra" not in shown(at.error[0].value)
    upload(at, "posts_upload", "foto.png", b"\x89PNG...", "image/png")
    assert [e.value for e in at.error] == ["foto.png: this type of file does not belong here; upload a "
                                           ".csv / .tsv / .txt file."]


def test_the_uploader_limit_and_button_speak_copydesk(monkeypatch, env):
    monkeypatch.setenv("ASSISTANT_MAX_UPLOAD_MB", "5")
    at = open_library()
    assert {at.file_uploader(key=k).proto.max_upload_size_mb for k in ("posts_upload", "guideline_upload",
                                                                       "perf_upload")} == {5}
    styles = "\n".join(h.proto.body for h in at.get("html"))
    assert '"Scegli il file"' in styles and '"Scegli i file"' in styles and "Choose" not in styles
    assert "Il file supera il limite di 5 MB" in styles


def test_the_uploader_button_in_english(monkeypatch, env):
    monkeypatch.setenv("ASSISTANT_MAX_UPLOAD_MB", "5")
    at = open_library("en")
    styles = "\n".join(h.proto.body for h in at.get("html"))
    assert '"Choose a file"' in styles and "Scegli" not in styles and "over the 5 MB limit" in styles


def test_performance_import_reads_times_in_the_brands_zone_or_utc(library, env):
    raw = ("Permalink,Description,Publish time,Likes,Views\n"
           "https://www.instagram.com/p/abc/,Filò del giovedì,03/14/2026 18:30,10,200\n").encode()
    upload(library, "perf_upload", "ig.csv", raw)
    library.button(key="import-perf").click().run()
    assert not library.exception, library.exception
    assert any("1 riga:" in s.value for s in library.success)  # the singular, not "1 righe"
    from assistant.analytics.performance import latest

    rows = latest(env.review, BRAND)
    assert [r["posted_at"] for r in rows] == [datetime(2026, 3, 14, 17, 30, tzinfo=timezone.utc)]
