"""Exports (iCalendar feed, Hootsuite and Buffer bulk files, generic CSV/JSON) and the `plan` CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from icalendar import Calendar
from typer.testing import CliRunner

from assistant.plan import calendar as planning
from assistant.plan import cells, exports
from assistant.brands import BrandProfile
from assistant.cli.plan import plan_app
from assistant.errors import InvalidRequest
from assistant.review import ReviewQueue
from assistant.review.schemas import ItemPublic
from tests.factories import add_people, approve_new, make_draft, sqlite_queue  # noqa: F401 (fixture)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "schedulers"
ROME = "Europe/Rome"
UTC = timezone.utc
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = 'Domenica si apre alle 10: caffè, "filò" e maglie nuove.\nVi aspettiamo in bottega!'
T2 = "Lunedì sera: laboratorio di rammendo, posti limitati"
LANA = BrandProfile(slug="lana", name="Lana Viva", language="it", voice="Caldo.", timezone=ROME,
                    cadence={"instagram": 2})


@pytest.fixture
def queue(sqlite_queue):
    return sqlite_queue


def approved(queue, text=T2, *, brand="lana", platform="instagram"):
    return approve_new(queue, text, brand=brand, platform=platform)


def scheduled(queue, local: datetime, text=T2, **kw):
    return planning.schedule(queue, approved(queue, text, **kw).id, local, tz=ROME, by="Bea")


@pytest.fixture
def two_posts(queue):
    """The two posts of the fixtures, scheduled; plus an approved one without a time."""
    first = scheduled(queue, datetime(2026, 3, 29, 10, 0), T1)
    second = scheduled(queue, datetime(2026, 3, 30, 18, 30), T2)
    waiting = approved(queue, "Ancora senza orario")
    return first, second, waiting


def _lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


# --- iCalendar ----------------------------------------------------------------------------------

def test_ics_parses_back_with_stable_uids_times_and_text(queue, two_posts):
    first, second, waiting = two_posts
    data, report = exports.export(queue, LANA, "ics", now=NOW)
    cal = Calendar.from_ical(data)
    assert str(cal["prodid"]) == exports.PRODID and str(cal["version"]) == "2.0"
    events = cal.events
    assert [str(e["uid"]) for e in events] == [f"copydesk-item-{first.id}@lana", f"copydesk-item-{second.id}@lana"]
    assert events[0].decoded("dtstart") == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert b"DTSTART:20260329T080000Z" in data and b"DTSTART:20260330T163000Z" in data
    assert events[0].decoded("duration") == timedelta(minutes=15)
    assert str(events[0]["description"]) == T1
    assert str(events[0]["summary"]).startswith("Instagram: Domenica si apre alle 10:")
    assert all("dtstamp" in e for e in events) and events[0].decoded("sequence") == first.version
    assert report.item_ids == [first.id, second.id] and report.media_type == "text/calendar"
    assert [(p.code, p.item_id) for p in report.problems] == [("missing_time", waiting.id)]
    # a reschedule keeps the UID and bumps SEQUENCE; publishing adds the live URL
    planning.schedule(queue, first.id, datetime(2026, 3, 29, 12, 0), tz=ROME, by="Bea")
    planning.mark_published(queue, second.id, by="Bea", url="https://instagram.com/p/xyz",
                            at=datetime(2026, 3, 30, 18, 31), tz=ROME)
    events = Calendar.from_ical(exports.export(queue, LANA, "ics", now=NOW)[0]).events
    by_uid = {str(e["uid"]): e for e in events}
    moved = by_uid[f"copydesk-item-{first.id}@lana"]
    assert moved.decoded("dtstart") == datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
    assert moved.decoded("sequence") > first.version
    live = by_uid[f"copydesk-item-{second.id}@lana"]
    assert str(live["url"]) == "https://instagram.com/p/xyz" and str(live["summary"]).startswith("✓ ")


def test_ics_on_the_ambiguous_night_uses_the_first_occurrence(queue):
    item = scheduled(queue, datetime(2026, 10, 25, 2, 30))
    (event,) = Calendar.from_ical(exports.export(queue, LANA, "ics")[0]).events
    assert event.decoded("dtstart") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert str(event["uid"]) == f"copydesk-item-{item.id}@lana"


# --- scheduler files against fixtures written from the documented formats -----------------------

def test_hootsuite_file_matches_the_documented_format(queue, two_posts):
    data, report = exports.export(queue, LANA, "hootsuite", now=NOW)
    assert _lf(data) == _lf((FIXTURES / "hootsuite.csv").read_bytes())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert all(len(r) == len(exports.HOOTSUITE.columns) == 3 for r in rows)  # no header row: data from row 1
    assert [datetime.strptime(r[0], exports.HOOTSUITE.date_format) for r in rows] == [
        datetime(2026, 3, 29, 10, 0), datetime(2026, 3, 30, 18, 30)]
    assert rows[0][1] == T1 and report.ok and report.filename == "lana-hootsuite.csv"
    assert [p.code for p in report.problems] == ["missing_time"] and "dd/mm/yyyy" in report.notes


def test_buffer_file_matches_the_documented_format(queue, two_posts):
    data, report = exports.export(queue, LANA, "buffer", now=NOW)
    assert _lf(data) == _lf((FIXTURES / "buffer.csv").read_bytes())
    assert data.startswith(b'"Text","Image URL","Tags","Posting Time"\r\n')
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert list(rows[0]) == ["Text", "Image URL", "Tags", "Posting Time"] == list(exports.BUFFER.columns)
    assert [datetime.strptime(r["Posting Time"], "%Y-%m-%d %H:%M") for r in rows] == [
        datetime(2026, 3, 29, 10, 0), datetime(2026, 3, 30, 18, 30)]
    assert rows[0]["Text"] == T1 and report.ok


def test_formats_are_defined_once_with_source_and_date():
    for fmt in exports.SCHEDULERS.values():
        assert fmt.source.startswith("https://") and fmt.checked == "2026-11-26" and fmt.columns
    assert (exports.HOOTSUITE.max_rows, exports.HOOTSUITE.min_lead_minutes, exports.HOOTSUITE.minute_step) == (
        350, 10, 5)
    assert exports.BUFFER.max_rows == 100 and exports.BUFFER.header and not exports.HOOTSUITE.header
    assert exports.FORMATS == ("ics", "hootsuite", "buffer", "csv", "json")


def test_problems_are_reported_per_item_never_fixed(queue):
    queue.clock.now = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)  # scheduled back when all these times were ahead
    long_x = scheduled(queue, datetime(2026, 3, 10, 9, 0), "parola " * 60, platform="x")  # 420 > 280
    x_past = scheduled(queue, datetime(2026, 2, 20, 9, 0), "Già passato", platform="x")
    x_soon = scheduled(queue, datetime(2026, 3, 1, 13, 5), "Tra poco", platform="x")  # 5 min after NOW
    x_odd = scheduled(queue, datetime(2026, 3, 12, 9, 7), "Alle nove e sette", platform="x")
    data, report = exports.export(queue, LANA, "hootsuite", platform="x", now=NOW)
    found = {(p.code, p.item_id) for p in report.problems}
    assert found == {("text_too_long", long_x.id), ("time_in_past", x_past.id), ("too_soon", x_soon.id),
                     ("not_on_step", x_odd.id)}
    assert all(p.severity == "error" for p in report.problems) and not report.ok
    too_long = next(p for p in report.problems if p.code == "text_too_long")
    assert too_long.values["count"] == 420 and too_long.values["limit"] == 280
    assert "over X's limit of 280" in too_long.message() and "oltre il limite di 280" in too_long.message("it")
    text = data.decode("utf-8")  # written exactly as the items are
    assert ("parola " * 60).strip() in text and "20/02/2026 09:00" in text and "12/03/2026 09:07" in text
    _, buffer_report = exports.export(queue, LANA, "buffer", platform="x", now=NOW)
    assert {p.code for p in buffer_report.problems} == {"text_too_long", "time_in_past"}  # no 10-min or 5-min rule


def _fake(i: int, platform: str = "instagram") -> SimpleNamespace:
    return SimpleNamespace(id=i, platform=platform, text="Ciao", state="scheduled", published_at=None,
                           scheduled_for=NOW + timedelta(days=1, minutes=5 * i))


def test_row_limits_and_one_platform_per_file():
    many = [_fake(i) for i in range(351)]
    codes = [p.code for p in exports.check(many, exports.HOOTSUITE, tz=ROME, now=NOW)]
    assert codes == ["too_many_rows"]
    assert exports.check(many[:350], exports.HOOTSUITE, tz=ROME, now=NOW) == []
    (over,) = exports.check(many[:101], exports.BUFFER, tz=ROME, now=NOW)
    assert over.values == {"scheduler": "Buffer", "rows": 101, "max_rows": 100}
    (mixed,) = exports.check([_fake(1), _fake(2, "facebook")], exports.BUFFER, tz=ROME, now=NOW)
    assert mixed.code == "mixed_platforms" and mixed.values["platforms"] == "facebook, instagram"


def test_export_marks_approved_items_with_a_time(queue):
    keep = scheduled(queue, datetime(2026, 4, 1, 9, 0))
    a = approved(queue, "Primo senza orario")
    b = approved(queue, "Secondo senza orario")
    data, report = exports.export(queue, LANA, "buffer", by="Bea", mark_scheduled=True,
                                  times={a.id: datetime(2026, 4, 2, 10, 0)}, now=NOW)
    assert report.ok and report.marked_scheduled == [a.id] and report.item_ids == [keep.id, a.id]
    assert [(p.code, p.item_id) for p in report.problems] == [("missing_time", b.id)]
    assert '"Primo senza orario","","","2026-04-02 10:00"' in data.decode()
    item = queue.get(a.id)
    assert item.state == "scheduled" and item.scheduled_for == datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
    assert item.audit[-1].action == "schedule" and item.audit[-1].actor == "Bea"
    assert queue.get(b.id).state == "approved"


def test_nothing_is_marked_when_the_file_would_be_refused(queue):
    a = approved(queue)
    _, report = exports.export(queue, LANA, "hootsuite", by="Bea", mark_scheduled=True,
                               times={a.id: datetime(2026, 4, 2, 10, 2)}, now=NOW)
    assert not report.ok and report.marked_scheduled == []
    assert [p.code for p in report.problems] == ["not_on_step", "not_marked"]
    assert queue.get(a.id).state == "approved"
    _, dry = exports.export(queue, LANA, "hootsuite", times={a.id: datetime(2026, 4, 2, 10, 0)}, now=NOW)
    assert dry.ok and dry.item_ids == [a.id] and dry.marked_scheduled == [] and queue.get(a.id).state == "approved"


def test_export_refuses_bad_requests(queue, two_posts):
    first, _, waiting = two_posts
    with pytest.raises(InvalidRequest, match="format"):
        exports.export(queue, LANA, "xlsx")
    with pytest.raises(InvalidRequest, match="by"):
        exports.export(queue, LANA, "buffer", mark_scheduled=True)
    with pytest.raises(InvalidRequest, match=f"item {first.id} is not an approved"):
        exports.export(queue, LANA, "buffer", times={first.id: datetime(2026, 4, 2, 10, 0)})
    with pytest.raises(InvalidRequest, match="does not exist"):
        exports.export(queue, LANA, "buffer", times={waiting.id: datetime(2026, 3, 29, 2, 30)})


def test_generic_csv_and_json_carry_every_field(queue, two_posts):
    first, second, waiting = two_posts
    draft = queue.add_draft(make_draft("Ancora in revisione"), by="Ada", submit=True)
    queue.add_draft(make_draft("Di un altro brand", brand="tea"), by="Ada")
    data, report = exports.export(queue, LANA, "csv")
    assert data.startswith(b"\xef\xbb\xbf") and report.filename == "lana.csv" and report.problems == []
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0]) == [*ItemPublic.model_fields, "tz", "local_time"]
    assert [r["id"] for r in rows] == [str(first.id), str(second.id), str(waiting.id), str(draft.id)]
    assert rows[0]["text"] == T1 and rows[0]["local_time"] == "2026-03-29T10:00:00+02:00"
    assert rows[3]["state"] == "in_review" and rows[3]["local_time"] == ""
    payload = json.loads(exports.export(queue, LANA, "json")[0])
    assert payload["brand"] == "lana" and payload["tz"] == ROME and len(payload["items"]) == 4
    assert set(ItemPublic.model_fields) <= set(payload["items"][0])
    assert payload["items"][0]["scheduled_for"] == "2026-03-29T08:00:00Z"


def test_generic_csv_and_json_say_which_items_are_ai_generated(queue):
    """`ai_generated` (review.disclosure: AI text kept >= the brand's threshold, 0.5 by default) and
    the share behind it, in both generic exports."""
    kept = approved(queue, "Sabato rammendo in bottega dalle 10 alle 18, portate i vostri capi")
    draft = queue.add_draft(make_draft("Sabato rammendo in bottega dalle 10 alle 18"), by="Ada", submit=True)
    rewritten = queue.edit(draft.id, "Riparare costa meno che ricomprare: venite a imparare", by="Bea",
                           base_version=draft.version)
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(exports.export(queue, LANA, "csv")[0].decode("utf-8-sig")))}
    assert (rows[str(kept.id)]["ai_generated"], rows[str(kept.id)]["ai_kept_share"]) == ("True", "1.0")
    assert (rows[str(rewritten.id)]["ai_generated"], rows[str(rewritten.id)]["ai_kept_share"]) == ("False", "0.0")
    items = {i["id"]: i for i in json.loads(exports.export(queue, LANA, "json")[0])["items"]}
    assert items[kept.id]["ai_generated"] is True and items[rewritten.id]["ai_generated"] is False
    assert items[rewritten.id]["ai_kept_share"] == 0.0


# --- the `plan` CLI -----------------------------------------------------------------------------

GOOD = "Sabato laboratorio di maglia in bottega a Schio: porta i ferri, il tè lo offriamo noi. #BottegaPasubio"
app = typer.Typer()
app.add_typer(plan_app, name="plan")


@pytest.fixture
def cli(monkeypatch, settings, hash_embedder):
    """`assistant.cli._services` -> Services on a temp home with the hashing embedder; two approved items."""
    import assistant.cli.common as cli_module
    from assistant.services import Services

    svc = Services(settings, embedder=hash_embedder)
    monkeypatch.setattr(cli_module, "services", lambda **kw: svc)
    queue = add_people(ReviewQueue.from_services(svc))
    ids = [queue.approve(queue.add_draft(make_draft(GOOD, brand="bottega-pasubio"), by="Ada", submit=True).id,
                         by="Bea").id for _ in range(2)]
    queue.close()
    return SimpleNamespace(svc=svc, ids=ids)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["plan", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_schedule_calendar_and_publish(cli):
    a, b = cli.ids
    # 2030 (ahead of the real clock): 31 March is the night the clocks go forward, 27 October back
    code, out, err = run("schedule", str(a), "--at", "2030-03-31 10:00", "--by", "Bea", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["state"] == "scheduled" and data["scheduled_for"] == "2030-03-31T08:00:00Z"
    assert data["local_time"] == "2030-03-31T10:00:00+02:00"
    code, _, err = run("schedule", str(b), "--at", "2030-03-31 02:30", "--by", "Bea")
    assert code == 1 and "does not exist" in err and "03:30" in err
    code, _, err = run("schedule", str(b), "--at", "2030-03-31 02:30", "--by", "Bea", "--lang", "it")
    assert code == 1 and "non esiste nel fuso Europe/Rome" in err and "03:30" in err
    code, out, err = run("schedule", str(b), "--at", "2030-10-27 02:30", "--by", "Bea")
    assert code == 0 and "happens twice" in err and "--at 2030-10-27T02:30+01:00" in err
    assert "2030-10-27 02:30 Europe/Rome (00:30 UTC)" in out
    code, out, err = run("schedule", str(b), "--at", "2030-03-31 11:00", "--by", "Bea")
    assert code == 0 and "11:00 Europe/Rome (09:00 UTC)" in out

    code, out, err = run("calendar", "--brand", "bottega-pasubio", "--week", "--date", "2030-03-31", "--json")
    assert code == 0, err
    view = json.loads(out)
    assert (view["start"], view["end"]) == ("2030-03-25", "2030-03-31")
    assert [(e["item_id"], e["time"]) for e in view["entries"]] == [(a, "10:00"), (b, "11:00")]
    kinds = {w["kind"]: w for w in view["warnings"]}
    assert kinds["clash"]["items"] == [a, b] and "60 minutes apart" in kinds["clash"]["message"]
    assert {(w["platform"], w["week"]) for w in view["warnings"] if w["kind"] == "cadence_gap"} == {
        ("facebook", "2030-W13"), ("tiktok", "2030-W13")}  # instagram: 2 of 2
    code, out, _ = run("calendar", "--month", "--date", "2030-03-05", "--lang", "it")
    assert code == 0 and "2030-03-01 .. 2030-03-31" in out and "10:00" in out
    assert "warning: bottega-pasubio su instagram: i contenuti" in out

    code, out, err = run("publish", str(a), "--url", "https://instagram.com/p/abc", "--by", "Bea", "--at",
                         "2030-03-31 10:03", "--json")
    assert code == 0, err
    done = json.loads(out)
    assert done["state"] == "published" and done["published_at"] == "2030-03-31T08:03:00Z"
    assert done["published_url"] == "https://instagram.com/p/abc"


def test_cli_refuses_a_past_time_and_names_the_publish_command(cli):
    from zoneinfo import ZoneInfo

    from assistant.db.engine import utcnow

    a, b = cli.ids
    local = datetime.combine((utcnow().astimezone(ZoneInfo(ROME)) - timedelta(days=2)).date(), datetime.min.time())
    at = f"{local:%Y-%m-%d} 10:00"  # two days ago, in the brand's zone
    code, out, err = run("schedule", str(a), "--at", at, "--by", "Bea")
    assert code == 1 and out == ""
    assert err.startswith(f"error: Item #{a} cannot be scheduled for ") and "(Europe/Rome)" in err
    assert "that time has already passed" in err and "Pick a time in the future" in err
    command = f"assistant plan publish {a} --url https://... --at '{at}' --by Bea"
    assert f"If it already went out, mark it as published: {command}" in err
    code, _, err = run("schedule", str(a), "--at", at, "--by", "Bea", "--lang", "it")
    assert code == 1 and f"Il contenuto n. {a} non si può programmare per il " in err
    assert f"Se è già uscito, segnalo come pubblicato: {command}" in err
    queue = ReviewQueue.from_services(cli.svc)
    item = queue.get(a)
    queue.close()
    assert item.state == "approved" and item.scheduled_for is None
    assert not [e for e in item.audit if e.action == "schedule"]
    # the command it names records the post at that time
    code, out, err = run("publish", str(a), "--url", "https://instagram.com/p/abc", "--at", at, "--by", "Bea",
                         "--json")
    assert code == 0, err
    expected = local.replace(hour=10, tzinfo=ZoneInfo(ROME)).astimezone(UTC)
    assert json.loads(out)["published_at"] == expected.isoformat().replace("+00:00", "Z")
    # a date typed wrong: the format expected, exit 2 (the command line was wrong)
    code, _, err = run("schedule", str(b), "--at", "31/03/2030 10:00", "--by", "Bea")
    assert code == 2 and "--at: write the date and time as YYYY-MM-DD HH:MM" in err and '"31/03/2030 10:00"' in err
    code, _, err = run("schedule", str(b), "--at", "2030-02-30 10:00", "--by", "Bea", "--lang", "it")
    assert code == 2 and "--at: scrivi data e ora come AAAA-MM-GG HH:MM" in err and '"2030-02-30 10:00"' in err


def test_cli_export_files_and_problems(cli, tmp_path):
    a, b = cli.ids
    day = date.today() + timedelta(days=30)
    run("schedule", str(a), "--at", f"{day} 10:00", "--by", "Bea")
    out_file = tmp_path / "feed.ics"
    code, _, err = run("export", "bottega-pasubio", "--format", "ics", "--out", str(out_file))
    assert code == 0, err
    (event,) = Calendar.from_ical(out_file.read_bytes()).events
    assert str(event["uid"]) == f"copydesk-item-{a}@bottega-pasubio" and "1 item(s) exported as ics" in err
    code, out, err = run("export", "bottega-pasubio", "--format", "buffer", "--time", f"{b}={day} 12:00",
                         "--mark-scheduled", "--by", "Bea")
    assert code == 0, err
    assert out.startswith('"Text","Image URL","Tags","Posting Time"') and f'"{day} 12:00"' in out
    assert "2 item(s) exported as buffer, 1 marked scheduled" in err
    code, out, err = run("export", "bottega-pasubio", "--format", "hootsuite", "--out", str(tmp_path / "h.csv"),
                         "--report-json")
    assert code == 0 and json.loads(err)["rows"] == 2
    # a time now past (scheduled back when it was ahead): the file is still written as it is, the
    # problem is named, exit 1
    earlier = ReviewQueue.from_services(cli.svc, clock=lambda: datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    planning.schedule(earlier, a, datetime(2026, 3, 29, 10, 0), tz=ROME, by="Bea")
    earlier.close()
    code, _, err = run("export", "bottega-pasubio", "--format", "hootsuite", "--out", str(tmp_path / "h2.csv"))
    assert code == 1 and f"item {a}: 2026-03-29 10:00 is in the past" in err and "would refuse" in err
    assert "29/03/2026 10:00" in (tmp_path / "h2.csv").read_text(encoding="utf-8")


def test_cli_best_times_and_errors(cli):
    cli.svc.knowledge.index_brand(cli.svc.brand("bottega-pasubio"))
    code, out, err = run("best-times", "bottega-pasubio", "--json")
    assert code == 0, err
    hints = {h["platform"]: h for h in json.loads(out)}
    assert hints["instagram"]["slots"][0]["label"] == "Fri 18:00" and hints["tiktok"]["slots"] == []
    code, out, _ = run("best-times", "bottega-pasubio", "--platform", "tiktok")
    assert code == 0 and out.startswith("tiktok: only 12 past posts with figures (at least 20 needed")
    code, _, err = run("schedule", "999", "--at", "2026-03-29 10:00", "--by", "Bea")
    assert code == 1 and "no review item 999" in err
    code, _, err = run("calendar", "--date", "29/03/2026")
    assert code == 2 and "YYYY-MM-DD" in err
    code, _, err = run("export", "nessuno", "--format", "ics")
    assert code == 1 and "no brand 'nessuno'" in err
    code, _, err = run("export", "bottega-pasubio", "--format", "buffer", "--mark-scheduled")
    assert code == 2 and "--by" in err
    code, _, err = run("publish", str(cli.ids[0]), "--url", "https://x.example", "--by", "Bea")
    assert code == 0, err  # an approved item published by hand
    code, _, err = run("publish", str(cli.ids[0]), "--url", "https://x.example", "--by", "Bea")
    assert code == 1 and "cannot publish" in err  # exactly once


# --- CSV injection and unsafe URLs (issue 10) ---------------------------------------------------

# every prefix OWASP lists (https://owasp.org/www-community/attacks/CSV_Injection), plus a leading line feed,
# the full-width look-alikes and a formula behind leading whitespace
FORMULAS = ['=HYPERLINK("http://evil","x")', "@SUM(1+1)", "+1+1", "-2+3", "\t=1", "\r=1", "\n=1",
            "＝HYPERLINK(\"http://evil\",\"x\")", "＋1+1", "－2+3", "＠SUM(1+1)", "  =1+1", "\u00a0@SUM(1+1)"]
SAFE = "Sabato in bottega: 2+2 gomitoli = 1 sciarpa, -10% sui ferri @lanaviva"


@pytest.fixture
def formula_posts(queue):
    """One scheduled post per dangerous start, and a safe one, 10 minutes apart from 1 April 09:00."""
    texts = [*FORMULAS, SAFE]
    return [scheduled(queue, datetime(2026, 4, 1, 9, 0) + timedelta(minutes=10 * n), text)
            for n, text in enumerate(texts)], texts


def _cells(fmt: str, data: bytes, report) -> dict[int, str]:
    """item id -> the text cell of `fmt`'s file, parsed back with `csv`."""
    if fmt == "hootsuite":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
        return {item_id: row[1] for item_id, row in zip(report.item_ids, rows, strict=True)}
    if fmt == "buffer":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        return {item_id: row["Text"] for item_id, row in zip(report.item_ids, rows, strict=True)}
    return {int(row["id"]): row["text"] for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}


@pytest.mark.parametrize(("fmt", "column"), [("hootsuite", "Message"), ("buffer", "Text"), ("csv", "text")])
def test_every_csv_prefixes_formula_cells_and_warns(queue, formula_posts, fmt, column):
    items, texts = formula_posts
    data, report = exports.export(queue, LANA, fmt, now=NOW)
    cells = _cells(fmt, data, report)
    assert set(cells) == {i.id for i in items}
    for item, text in zip(items, texts):
        expected = text if text == SAFE else "'" + text
        assert cells[item.id] == expected, (fmt, text)
    warned = {p.item_id: p for p in report.problems if p.code == "formula_prefixed"}
    assert set(warned) == {i.id for i in items[:-1]}  # the safe post is written as it is, no warning
    assert all(p.severity == "warning" and p.values["fields"] == column for p in warned.values())
    assert report.ok  # a warning: the file is still usable (and can be marked scheduled)
    first = warned[items[0].id]
    assert f"item {items[0].id}: {column} started with a character" in first.message()
    assert f"contenuto {items[0].id}: {column} iniziava" in first.message("it")
    assert "'" in first.message() and first.values["format"] in first.message()


def test_neutralise_cell_rules():
    for text in FORMULAS:
        assert cells.neutralise_cell(text) == "'" + text
    for text in (SAFE, "", "'=already text", "ciao -1", "a;=1+1", "Posting Time"):
        assert cells.neutralise_cell(text) == text
    # numbers and booleans we format stay numbers; a negative number as text is prefixed
    assert [cells.neutralise_cell(v) for v in (-3, -0.5, 0, True, None)] == ["-3", "-0.5", "0", "True", ""]
    assert cells.neutralise_cell("-3") == "'-3"


def test_headers_and_generic_csv_cells_are_quoted_and_neutralised(queue, two_posts):
    first, *_ = two_posts
    queue.mark_published(first.id, by="Bea", url='=HYPERLINK("http://evil","x")')
    data, report = exports.export(queue, LANA, "csv")
    assert data.startswith(b'\xef\xbb\xbf"id","draft_id","brand"')  # every cell quoted (OWASP)
    row = next(r for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))) if r["id"] == str(first.id))
    assert row["published_url"] == '\'=HYPERLINK("http://evil","x")' and row["text"] == T1
    assert [(p.code, p.item_id, p.values["fields"]) for p in report.problems] == [
        ("formula_prefixed", first.id, "published_url")]
    payload = json.loads(exports.export(queue, LANA, "json")[0])  # JSON is data: the value as it is
    assert {i["id"]: i["published_url"] for i in payload["items"]}[first.id] == '=HYPERLINK("http://evil","x")'
    events = Calendar.from_ical(exports.export(queue, LANA, "ics", now=NOW)[0]).events
    assert "url" not in next(e for e in events if str(e["uid"]) == f"copydesk-item-{first.id}@lana")


@pytest.mark.parametrize("url", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<b>x</b>",
                                 "https://instagram.com/p/a b", "//instagram.com/p/x"])
def test_ics_url_is_only_ever_http(queue, two_posts, url):
    first, second, _ = two_posts
    queue.mark_published(first.id, by="Bea", url=url)  # stored as given (the queue does not check it)
    planning.mark_published(queue, second.id, by="Bea", url="https://instagram.com/p/ok")
    data, _ = exports.export(queue, LANA, "ics", now=NOW)
    by_uid = {str(e["uid"]): e for e in Calendar.from_ical(data).events}
    assert "url" not in by_uid[f"copydesk-item-{first.id}@lana"]
    assert str(by_uid[f"copydesk-item-{second.id}@lana"]["url"]) == "https://instagram.com/p/ok"
    assert b"javascript" not in data.lower() and b"data:text" not in data
    payload = json.loads(exports.export(queue, LANA, "json")[0])
    assert {i["id"]: i["published_url"] for i in payload["items"]}[first.id] == url  # kept as data
    row = next(r for r in csv.DictReader(io.StringIO(exports.export(queue, LANA, "csv")[0].decode("utf-8-sig")))
               if r["id"] == str(first.id))
    assert row["published_url"] == cells.neutralise_cell(url)


def test_table_downloads_are_neutralised_too():
    """The app's table downloads (insights) go through the same cells as the exports."""
    import csv as _csv
    import io as _io

    from assistant.plan.cells import rows_csv

    data = rows_csv([{"=model": "=HYPERLINK(\"http://x\")", "items": 3, "rate": None}])
    header, row = list(_csv.reader(_io.StringIO(data.decode("utf-8"))))
    assert header == ["'=model", "items", "rate"] and row == ["'=HYPERLINK(\"http://x\")", "3", ""]
    assert rows_csv([]) == b"\r\n"
