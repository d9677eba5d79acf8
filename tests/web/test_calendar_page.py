"""The calendar page's "Programma" tab with AppTest: a time already past is refused in the
reader's language, and the page offers to mark the item published at that time instead."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from assistant.db.engine import utcnow
from assistant.services import Services
from tests.web.test_app import APP, draft_and_send, shown, sign_in

ROME = ZoneInfo("Europe/Rome")  # bottega-pasubio's zone


def open_calendar(lang: str) -> AppTest:
    """Signed in as an approver in `lang`, item 1 approved, on the calendar page."""
    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at)
    at.session_state["ui_lang"] = lang  # from the start (the sidebar's switch); no widget changes language under it
    at.run()
    assert at.sidebar.radio(key="ui_lang").value == lang
    draft_and_send(at)
    Services().review.approve(1, by="Marco")
    at.switch_page("views/calendar.py").run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def calendar_page(env):
    return open_calendar("it")


@pytest.fixture
def calendar_page_en(env, monkeypatch):
    # AppTest calls the widgets' format_func (`t(...)`) in the test's thread too, where the session's
    # language cannot be read (it reads Italian, the default): the same language for both threads.
    monkeypatch.setattr("assistant.web.common.lang", lambda: "en")
    return open_calendar("en")


def three_days_ago():
    return (utcnow().astimezone(ROME) - timedelta(days=3)).date()


def schedule_in_the_past(at) -> datetime:
    """Pick 18:00 three days ago (brand-local) and press "Programma"; the moment, in UTC."""
    day = three_days_ago()
    at.date_input(key="cal_when_day").set_value(day).run()
    at.time_input(key="cal_when_time").set_value(time(18, 0)).run()
    at.button(key="cal_schedule").click().run()
    assert not at.exception, at.exception
    return datetime.combine(day, time(18, 0), tzinfo=ROME).astimezone(ZoneInfo("UTC"))


def test_a_past_time_is_refused_in_italian_and_mark_published_works_there(calendar_page):
    at = calendar_page
    assert at.time_input(key="cal_when_time").label == "Ora (Europe/Rome)"  # the zone is named
    moment = schedule_in_the_past(at)
    (error,) = [shown(e.value) for e in at.error]
    assert error.startswith("Il contenuto n. 1 non si può programmare per il ") and "(Europe/Rome)" in error
    assert "quell'ora è già passata" in error and "Scegli un orario futuro" in error
    assert "segnalo come pubblicato" in error and "{" not in error and "error." not in error
    assert any("Già pubblicato? Segnalo come pubblicato il" in shown(i.value) for i in at.info)
    item = Services().review.get(1)
    assert item.state == "approved" and item.scheduled_for is None
    assert not [e for e in item.audit if e.action == "schedule"]

    offer = at.button(key="cal_past_mark")
    assert offer.label == "Segna come pubblicato a quell'ora" and offer.disabled  # needs the live link first
    at.text_input(key="cal_past_url").set_value("https://instagram.com/p/bottega").run()
    at.button(key="cal_past_mark").click().run()
    assert not at.exception, at.exception
    done = Services().review.get(1)
    assert (done.state, done.published_at, done.published_url) == ("published", moment,
                                                                   "https://instagram.com/p/bottega")
    assert any(s.value == "Pubblicato: n. 1" for s in at.success)
    assert not at.error and not [b for b in at.button if b.key == "cal_past_mark"]  # the offer is gone


def test_the_refusal_and_the_offer_in_english(calendar_page_en):
    at = calendar_page_en
    assert at.time_input(key="cal_when_time").label == "Time (Europe/Rome)"
    schedule_in_the_past(at)
    (error,) = [shown(e.value) for e in at.error]
    assert error.startswith("Item #1 cannot be scheduled for ") and "(Europe/Rome)" in error
    assert "that time has already passed" in error and "Pick a time in the future" in error
    assert "mark it as published" in error
    assert any("Already published? Mark it as published on" in shown(i.value) for i in at.info)
    assert at.button(key="cal_past_mark").label == "Mark as published at that time"
    # a future time after all: scheduled, and the refusal is gone
    at.date_input(key="cal_when_day").set_value(utcnow().astimezone(ROME).date() + timedelta(days=2)).run()
    at.button(key="cal_schedule").click().run()
    assert not at.exception, at.exception
    assert Services().review.get(1).state == "scheduled"
    assert not at.error and not [b for b in at.button if b.key == "cal_past_mark"]
