"""Publishing through the outbox to a Mastodon server, end to end: `assistant publish` and
`assistant worker --once` on the real services, the real Mastodon publisher (Mastodon.py).

No Mastodon server installs from the package registries here, so the server is the loopback
stand-in `tests.utils.mastodon_server`, written from Mastodon's API documentation (statuses, media,
`Idempotency-Key`, errors): it is not Mastodon itself.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.db.engine import utcnow
from tests.factories import add_people, make_draft
from tests.utils.mastodon_server import MastodonServer

BRAND = "bottega-pasubio"
TEXT = "Sabato laboratorio di maglia in bottega a Schio: porta i ferri, il tè lo offriamo noi. #BottegaPasubio"


@pytest.fixture
def srv():
    with MastodonServer() as server:
        yield server


@pytest.fixture
def svc(tmp_path, brands_dir, hash_embedder, monkeypatch, srv):
    import assistant.cli.common as cli_common
    from assistant.knowledge.embeddings import CachedEmbedder
    from assistant.services import Services
    from assistant.settings import load_settings

    settings = load_settings(home=tmp_path / "home", brands_dir=brands_dir, secrets_key_file=tmp_path / "key",
                             publish_retry_seconds=0.05, publish_retry_max_seconds=0.2)
    services = Services(settings, embedder=CachedEmbedder(hash_embedder, settings.cache_dir / "emb.sqlite"))
    monkeypatch.setattr(cli_common, "services", lambda **kwargs: services)
    add_people(services.review)
    services.conn = services.connections.add(BRAND, "mastodon", secret=srv.token, by="root", base_url=srv.url)
    yield services
    services.review.close()


def approved(svc, text: str = TEXT) -> int:
    item = svc.review.add_draft(make_draft(text, brand=BRAND, platform="mastodon"), by="Ada", submit=True)
    return svc.review.approve(item.id, by="Bea").id


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_publish_now_posts_once_and_the_item_and_calendar_show_the_link(svc, srv):
    item_id = approved(svc)
    code, out, err = run("publish", str(item_id), "--by", "ada", "--json")
    assert code == 0, err
    [outcome] = json.loads(out)
    [status] = srv.statuses
    assert outcome["result"] == "published" and outcome["job"]["remote_id"] == status["id"]
    assert "laboratorio di maglia" in status["content"] and status["language"] == "it"
    view = svc.review.get(item_id)
    assert view.state == "published" and view.published_url == status["url"]
    [event] = [e for e in view.audit if e.action == "publish"]
    assert event.data["remote_id"] == status["id"] and event.actor.startswith("worker:")
    assert event.data["scheduled_by"] == "Ada"
    assert srv.requests("/api/v1/statuses") == 1
    from assistant.plan.calendar import calendar

    day = view.published_at.date()
    [entry] = calendar(svc.review, brand=BRAND, start=day - timedelta(days=1), end=day + timedelta(days=1))
    assert entry.state == "published" and entry.published_url == status["url"]


def test_a_scheduled_item_goes_out_when_due_and_not_before(svc, srv):
    item_id = approved(svc)
    svc.review.schedule(item_id, utcnow() + timedelta(seconds=3), by="Ada")
    code, out, _ = run("worker", "--once", "--json")
    assert code == 0 and json.loads(out)["published"] == 0 and srv.statuses == []
    time.sleep(3.2)
    code, out, _ = run("worker", "--once", "--json")
    report = json.loads(out)
    assert code == 0 and report["published"] == 1 and len(srv.statuses) == 1
    assert svc.review.get(item_id).state == "published"


def test_the_network_failing_once_still_makes_one_status(svc, srv):
    item_id = approved(svc)
    srv.fail("/api/v1/statuses", 503)
    code, out, _ = run("publish", str(item_id), "--by", "ada", "--json")
    assert code == 1 and json.loads(out)[0]["result"] == "retry" and srv.statuses == []
    time.sleep(0.3)
    code, out, _ = run("worker", "--once", "--json")
    assert json.loads(out)["published"] == 1
    assert len(srv.statuses) == 1 and svc.review.get(item_id).state == "published"


def test_a_lost_answer_then_the_retry_makes_exactly_one_status(svc, srv):
    item_id = approved(svc)
    srv.drop("/api/v1/statuses")  # the server creates the status, then hangs up without answering
    code, out, _ = run("publish", str(item_id), "--by", "ada")
    assert code == 1 and ": retry" in out and "`assistant worker` tries again" in out
    assert len(srv.statuses) == 1
    time.sleep(0.3)
    run("worker", "--once")
    assert len(srv.statuses) == 1 and srv.requests("/api/v1/statuses") >= 2  # retried, with the same key
    view = svc.review.get(item_id)
    assert view.state == "published" and view.published_url == srv.statuses[0]["url"]


def test_a_revoked_token_fails_with_the_reason_and_stops_the_requests(svc, srv, caplog):
    caplog.set_level("DEBUG")
    first, second = approved(svc), approved(svc, TEXT + " Vi aspettiamo!")
    svc.review.schedule(second, utcnow() - timedelta(seconds=30), by="Ada")  # due (within the grace)
    srv.revoke()
    code, out, _ = run("publish", str(first), "--by", "ada", "--json")
    [outcome] = json.loads(out)
    assert code == 1 and outcome["result"] == "failed" and "token" in outcome["reason"]
    assert svc.review.get(first).state == "publish_failed"
    conn = svc.connections.get(svc.conn.id)
    assert conn.status == "needs_reconnect"
    before = srv.requests("/api")
    for _ in range(3):
        code, out, _ = run("worker", "--once", "--json")
        assert json.loads(out)["published"] == 0
    assert srv.requests("/api") == before  # no retry storm: the account waits to be reconnected
    assert svc.review.get(second).state == "scheduled"
    [note] = svc.notifications.unread("ada")
    assert note.item_id == first and "token" in note.params["reason"]
    # the reason as a catalogue code too, so the app says it in the reader's language (the audit keeps it)
    assert note.params["reason_code"] == "publish_reconnect" and note.params["reason_params"]["network"] == "Mastodon"
    event = [e for e in svc.review.get(first).audit if e.action == "publish_failed"][-1]
    assert event.data["reason_code"] == "publish_reconnect" and srv.token not in json.dumps(event.data)
    assert "needs reconnecting" in caplog.text and srv.token not in caplog.text  # logged, never the secret


def test_counts_come_back_into_the_performance_figures(svc, srv):
    item_id = approved(svc)
    run("publish", str(item_id), "--by", "ada")
    status_id = srv.statuses[0]["id"]
    srv.set_counts(status_id, favourites=7, reblogs=3, replies=2)
    code, out, _ = run("worker", "--once", "--json")
    assert code == 0 and json.loads(out)["counts_posts"] == 1
    from assistant.analytics.performance.store import latest

    [row] = latest(svc.review, BRAND)
    assert (row["likes"], row["shares"], row["comments"], row["item_id"]) == (7, 3, 2, item_id)
    # ...and into the exemplar the item became, so retrieval ranks it by what it did
    assert json.loads(out)["exemplars_refreshed"] >= 1
    [doc] = [d for d in svc.knowledge.record.documents(BRAND, kinds=["approved"])
             if str(d.metadata.get("item_id")) == str(item_id)]
    assert (doc.metadata["likes"], doc.metadata["comments"], doc.metadata["shares"]) == (7, 2, 3)
    assert doc.metadata["engagement"] == 7 + 2 * 2 + 3 * 3


def test_counts_read_back_appear_in_the_month_s_report(svc, srv):
    """The loop closed without any CSV: what the network says about a published post is in the
    brand's monthly report (its performance table and top posts)."""
    from zoneinfo import ZoneInfo

    from assistant.analytics.report.data import build_report

    item_id = approved(svc)
    run("publish", str(item_id), "--by", "ada")
    srv.set_counts(srv.statuses[0]["id"], favourites=11, reblogs=4, replies=1)
    run("worker", "--once")
    month = svc.review.get(item_id).published_at.astimezone(ZoneInfo(svc.brand(BRAND).profile.timezone)).strftime("%Y-%m")
    report = build_report(svc, BRAND, month, language="en")
    assert [p["item_id"] for p in report.published] == [item_id]
    [top] = report.top_posts
    assert (top["item_id"], top["kind"], top["engagement"]) == (item_id, "published", 11 + 1 + 4)  # the report's sum
    assert report.performance[-1]["platform"] is None and report.performance[-1]["posts"] == 1
