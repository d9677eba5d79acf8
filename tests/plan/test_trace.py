"""The traceability export (law 132/2025 art. 14): one row per AI use of a brand in a period, with
who asked, when, which model and where it ran, and what became of the output; CSV cells neutralised;
only someone who may view the brand gets it. On a real database (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone

import pytest

from assistant.accounts.permissions import PermissionDenied
from assistant.brands import BrandProfile
from assistant.plan import trace as tracing
from assistant.review import ReviewQueue
from assistant.review.hooks import platform_validator
from assistant.review.uses import where
from tests.factories import Clock, add_people, db_url, make_draft  # noqa: F401

UTC = timezone.utc
COMUNE = BrandProfile(slug="comune", name="Comune di Schio", language="it", voice="Chiara.", emoji="free",
                      timezone="Europe/Rome", public_interest=True)
POLICIES = {"comune": COMUNE, "altro": COMUNE.model_copy(update={"slug": "altro", "name": "Altro"})}
TEXT = "Da lunedì la biblioteca comunale apre anche la sera fino alle 22 per chi studia"


@pytest.fixture
def traced(db_url):  # noqa: F811
    """March 2026 on brand comune: A (OpenAI, edited by Cris, approved by Bea), B (the local model, a
    refinement, rejected), C (a compatible server, asked for by "+Eve", still in review); D entered
    the queue on 1 April (Rome) and E belongs to another brand."""
    clock = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    q = add_people(ReviewQueue(db_url, validator=platform_validator(POLICIES.__getitem__),
                               brand_policy=POLICIES.__getitem__, clock=clock))
    root = q.people.actor("root")
    q.people.add("eve", name="+Eve", grants=[("editor", "comune")], by=root)
    q.people.add("vale", name="Vale", grants=[("client", "comune")], by=root)

    def add(text, by="Ada", brand="comune", **draft):
        return q.add_draft(make_draft(text, brand=brand, platform="facebook", created_at=clock.now.isoformat(),
                                      **draft), by=by, submit=True)

    a = add(TEXT, provider="openai", model="gpt-4.1-mini")
    a = q.edit(a.id, TEXT.replace("per chi studia", "per studenti e lavoratori"), by="Cris", base_version=a.version)
    clock.advance(3600)
    q.approve(a.id, by="Bea")
    clock.advance(86400)
    b = add("Orari nuovi in biblioteca", provider="local", model="smollm2-135m", parent_id="d0", instruction="più breve",
            repaired=True)
    q.reject(b.id, by="Bea", note="Fuori tono")
    c = add("Serata di lettura in biblioteca", by="eve", provider="compatible", model='=HYPERLINK("http://x")')
    clock.now = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 1 April 00:30 in Rome
    add("Già aprile", provider="openai", model="gpt-4.1-mini")
    add("Altro brand", brand="altro")
    yield q, {"A": a.id, "B": b.id, "C": c.id}
    q.close()


def test_every_ai_use_of_the_period_with_its_outcome(traced):
    q, ids = traced
    export = tracing.trace(q, "comune", date(2026, 3, 1), date(2026, 3, 31), actor="bea",
                           base_url="http://127.0.0.1:11434/v1")
    rows = {r["item_id"]: r for r in export.rows}
    assert sorted(rows) == sorted(ids.values())  # not April's, not the other brand's
    a, b, c = rows[ids["A"]], rows[ids["B"]], rows[ids["C"]]
    assert (a["asked_by"], a["asked_by_username"], a["provider"], a["model"], a["where"]) == (
        "Ada", "ada", "openai", "gpt-4.1-mini", "remote")
    assert (a["outcome"], a["state"], a["approved_by"], a["approved_by_username"], a["edited"]) == (
        "approved", "approved", "Bea", "bea", True)
    assert a["kept_share"] == pytest.approx(13 / 15) and a["ai_generated"] is True and a["purposes"] == "drafting retrieval"
    assert a["at"] == "2026-03-02T09:00:00Z" and a["local_time"] == "2026-03-02T10:00:00+01:00"
    assert (b["where"], b["purposes"], b["outcome"], b["rejected_by"], b["approved_by"]) == (
        "local", "refining repair retrieval", "rejected", "Bea", None)
    assert (c["where"], c["asked_by"], c["outcome"], c["approved_by"], c["edited"]) == (
        "local", "+Eve", "pending", None, False)  # a compatible server on loopback
    assert export.brand_name == "Comune di Schio" and export.generated_by == "Bea"
    remote = tracing.trace(q, "comune", date(2026, 3, 1), date(2026, 3, 31), actor="bea",
                           base_url="https://llm.example.com/v1")
    assert {r["item_id"]: r["where"] for r in remote.rows}[ids["C"]] == "remote"
    april = tracing.trace(q, "comune", date(2026, 4, 1), date(2026, 4, 30), actor="bea")
    assert [r["model"] for r in april.rows] == ["gpt-4.1-mini"]  # every use in exactly one period


def test_csv_cells_are_neutralised_and_json_holds_the_same_rows(traced):
    q, ids = traced
    export = tracing.trace(q, "comune", date(2026, 3, 1), date(2026, 3, 31), actor="bea")
    data = tracing.render(export, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == list(tracing.COLUMNS)
    by_id = {row[1]: dict(zip(table[0], row)) for row in table[1:]}
    c = by_id[str(ids["C"])]
    assert c["model"] == "'=HYPERLINK(\"http://x\")" and c["asked_by"] == "'+Eve"
    assert all(not cell.lstrip().startswith(("=", "+", "-", "@")) for row in table for cell in row)
    assert data.decode("utf-8-sig").count('"') % 2 == 0 and '"' + "'=HYPERLINK" in data.decode("utf-8-sig")
    payload = json.loads(tracing.render(export, "json"))
    assert payload["schema"] == "copydesk.trace/1" and payload["from"] == "2026-03-01" and payload["to"] == "2026-03-31"
    assert [r["item_id"] for r in payload["rows"]] == [r["item_id"] for r in export.rows]
    assert {r["item_id"]: r["model"] for r in payload["rows"]}[ids["C"]] == '=HYPERLINK("http://x")'  # data in JSON


def test_only_who_may_view_the_brand_gets_it(traced):
    q, _ = traced
    q.people.add("otto", name="Otto", grants=[("viewer", "altro")], by=q.people.actor("root"))
    for who in ("vale", "otto"):  # a client of the brand; a viewer of another brand
        with pytest.raises(PermissionDenied):
            tracing.trace(q, "comune", date(2026, 3, 1), date(2026, 3, 31), actor=who)
    assert tracing.trace(q, "altro", date(2026, 3, 1), date(2026, 4, 30), actor="otto").rows


def test_where_a_model_ran():
    assert where("local") == where("fake") == "local"
    assert where("openai") == where("openai", "http://127.0.0.1:1") == "remote"
    for url, place in (("http://127.0.0.1:11434/v1", "local"), ("http://localhost:8080", "local"),
                       ("http://[::1]:8080/v1", "local"), ("http://10.0.0.5:8080/v1", "remote"),
                       ("https://llm.example.com/v1", "remote"), (None, "remote"), ("not a url", "remote")):
        assert where("compatible", url) == place, url
