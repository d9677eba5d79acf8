"""Performance import: platform exports (Italian and English headers, encodings), matching to the
queue and the brand's library, idempotent storage, retrieval refresh without re-embedding, insights.

Shared setup (`perf_services`, `publish`, `import_all`) is imported by tests/test_report.py.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from assistant.analytics import performance as perf
from assistant.analytics.performance.matching import TEXT_THRESHOLD
from assistant.errors import IngestError
from assistant.db.models import PerformanceRecord
from assistant.review import ReviewQueue
from tests.conftest import write_brand
from tests.factories import Clock, add_people, make_draft

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "performance"
BRAND = "filanda"
NOW = datetime(2026, 4, 1, 8, 0, tzinfo=timezone.utc)
FILES = ("meta_instagram_en.csv", "meta_facebook_it.csv", "linkedin_updates_en.csv", "x_tweet_activity_en.csv")
TEXT_A = ("Marzo in bottega: arrivano i primi gomitoli di lana di pecora Lamon, morbidi e caldi. "
          "Vi aspettiamo per toccarli con mano! #Filanda")
TEXT_B_V0 = "Nuovo corso di maglia: sei giovedì sera per principianti, iscrizioni in negozio."
TEXT_B = ("Nuovo corso di maglia ai ferri per principianti: sei giovedì sera, materiali inclusi, massimo dieci "
          "persone. Iscrizioni aperte in negozio!")  # the export adds " #Filanda" and a full stop: a text match
TEXT_C = ("«Perché la lana pizzica?» Ve lo spieghiamo in un video di due minuti: è tutta questione di micron, "
          "non di qualità. Guardatelo e diteci cosa ne pensate.")
TEXT_D = ("Da lunedì nuovi orari: aperti anche la domenica mattina fino a Pasqua. Vi aspettiamo in bottega "
          "https://filanda.example/orari")


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=timezone.utc)


def publish(queue, clock, text, platform, url, when, edited=None):
    item = queue.add_draft(make_draft(text, brand=BRAND, platform=platform), by="Ada", submit=True, edited_text=edited)
    clock.advance(3600)
    queue.approve(item.id, by="Bea")
    queue.schedule(item.id, when, by="Bea")
    return queue.mark_published(item.id, by="Bea", url=url, at=when)


@pytest.fixture
def perf_services(services, brands_dir):
    """Brand `filanda`: five past posts indexed, a queue (clock in March 2026) with four published
    items (A, B on Instagram, C on Facebook, D on X), one rejected and one still in review."""
    folder = write_brand(brands_dir, BRAND, platforms=["instagram", "facebook", "linkedin", "x"])
    shutil.copy(FIX / "brand_posts.csv", folder / "posts.csv")
    services.knowledge.index_brand(services.brand(BRAND), force=True)
    clock = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    queue = add_people(ReviewQueue.from_services(services, clock=clock))
    services.review = queue  # the cached property, with our clock
    ids = {
        "A": publish(queue, clock, TEXT_A, "instagram", "https://www.instagram.com/p/QQQ222/", at(13)).id,
        "B": publish(queue, clock, TEXT_B_V0, "instagram", None, at(20, 18), edited=TEXT_B).id,
        "C": publish(queue, clock, TEXT_C, "facebook", "https://www.facebook.com/filanda/posts/2002", at(16)).id,
        "D": publish(queue, clock, TEXT_D, "x", "https://x.com/filanda/status/1900000000000000001", at(9)).id,
    }
    rejected = queue.add_draft(make_draft("Saldi imperdibili su tutto!", brand=BRAND), by="Ada", submit=True)
    queue.reject(rejected.id, by="Bea", note="Non facciamo saldi")
    queue.add_draft(make_draft("Una bozza ancora in revisione", brand=BRAND), by="Ada", submit=True)
    services.item_ids = ids
    yield services
    queue.close()


def index_meta(svc, doc_id: str) -> dict:
    """A document's metadata as the vector index holds it (what retrieval ranks with)."""
    return {i: m for i, _, m in svc.store.documents(BRAND, ["post", "approved"])}[doc_id]


def import_all(services, now=NOW) -> dict[str, perf.PerformanceImport]:
    return {name: perf.import_file(services, BRAND, FIX / name, now=now) for name in FILES}


def records(services) -> list[PerformanceRecord]:
    return services.review.read(lambda s: list(s.scalars(select(PerformanceRecord).order_by(PerformanceRecord.id))))


# --- parsing ------------------------------------------------------------------------------------

def test_parses_italian_cp1252_semicolon_and_english_bom_headers():
    it = perf.parse_performance_csv((FIX / "meta_facebook_it.csv").read_bytes(), source="fb.csv")
    assert (it.encoding, it.delimiter) == ("cp1252", ";")
    assert it.mapping == {"text": "Descrizione", "title": "Titolo", "url": "Permalink",
                          "posted_at": "Orario di pubblicazione", "likes": "Reazioni", "comments": "Commenti",
                          "shares": "Condivisioni", "clicks": "Clic totali", "impressions": "Visualizzazioni",
                          "reach": "Copertura", "engagement": "Reazioni, commenti e condivisioni"}
    first, second = it.rows[0], it.rows[1]
    assert (first.impressions, first.reach, first.engagement) == (2500, 1800, 95)  # "2.500" is Italian for 2500
    assert first.posted_at == datetime(2026, 2, 3, 18, 0, tzinfo=timezone.utc)  # day-first: 16/03 decides
    assert second.text.startswith("«Perché") and second.clicks is None
    assert [str(w) for w in it.warnings] == ["fb.csv, row 3, column 'Clic totali': 'n.d.' is not a number; left empty"]

    en = perf.parse_performance_csv((FIX / "meta_instagram_en.csv").read_bytes(), source="ig.csv")
    assert (en.encoding, en.delimiter) == ("utf-8-sig", ",")
    assert en.mapping["impressions"] == "Views" and en.mapping["reach"] == "Reach" and en.mapping["text"] == "Description"
    assert {r.platform for r in en.rows} == {"instagram"}  # from the permalinks
    assert en.rows[1].posted_at == datetime(2026, 3, 13, 10, 15, tzinfo=timezone.utc)  # month-first: 03/13 decides


def test_linkedin_title_line_above_header_and_x_export():
    li = perf.parse_performance_csv((FIX / "linkedin_updates_en.csv").read_bytes(), source="li.csv")
    assert li.header_row == 2 and li.mapping["url"] == "Update link" and li.mapping["shares"] == "Reposts"
    assert {r.platform for r in li.rows} == {"linkedin"} and li.rows[0].posted_at.date().isoformat() == "2026-02-12"
    assert perf.rate(li.rows[0]) == (164, 0.05125, "impressions")  # = LinkedIn's own "Engagement rate" 0.05125

    x = perf.parse_performance_csv((FIX / "x_tweet_activity_en.csv").read_bytes(), source="x.csv")
    row = x.rows[0]
    assert (row.platform, row.impressions, row.engagement, row.likes, row.shares, row.comments) == ("x", 1500, 60, 30, 6, 4)
    assert row.posted_at == datetime(2026, 3, 9, 9, 30, tzinfo=timezone.utc)
    assert perf.rate(row) == (60, 0.04, "impressions")  # = X's own "engagement rate"


def test_rate_falls_back_to_reach_and_to_the_sum_of_interactions():
    row = perf.PerfRow(row=2, platform="facebook", url="u", text="t", likes=10, comments=5, clicks=5, reach=400)
    assert perf.rate(row) == (20, 0.05, "reach")
    assert perf.rate(perf.PerfRow(row=2, platform="x", url="u", text="t", impressions=100)) == (None, None, None)


def test_explicit_mapping_and_ambiguous_dates_warning():
    raw = ("Collegamento;Testo del post;Mostrato;Piace;Quando\n"
           "https://www.instagram.com/p/MMM1/;Un post;1000;50;03/04/2026\n").encode("utf-8")
    with pytest.raises(IngestError, match="no post link or text"):
        perf.parse_performance_csv(raw, source="mio.csv")
    parsed = perf.parse_performance_csv(raw, source="mio.csv", mapping={
        "url": "Collegamento", "text": "Testo del post", "impressions": "Mostrato", "likes": "Piace", "posted_at": "Quando"})
    assert perf.rate(parsed.rows[0]) == (50, 0.05, "impressions")
    assert parsed.rows[0].posted_at.date().isoformat() == "2026-04-03"
    assert any("ambiguous" in str(w) and "'Quando'" in str(w) for w in parsed.warnings)
    with pytest.raises(IngestError, match="not in the header"):
        perf.parse_performance_csv(raw, source="mio.csv", mapping={"url": "Link"})
    with pytest.raises(IngestError, match="unknown field"):
        perf.parse_performance_csv(raw, source="mio.csv", mapping={"link": "Collegamento"})


def test_row_problems_are_warnings_and_bad_files_fail_whole():
    raw = ("Permalink,Description,Views,Likes\n,,100,3\nhttps://example.org/p/1,Ciao,100,3\n").encode("utf-8")
    with pytest.raises(IngestError, match="no usable row"):  # row 2 has no identity, row 3 no platform
        perf.parse_performance_csv(raw, source="p.csv")
    parsed = perf.parse_performance_csv(raw, source="p.csv", platform="threads")
    assert [str(w) for w in parsed.rejected] == [
        "p.csv, row 2, column 'Permalink': no link and no text: the post cannot be identified, row skipped"]
    with pytest.raises(IngestError, match="no figures"):
        perf.parse_performance_csv(b"Permalink,Description\nhttps://x.com/a/status/1,ciao\n", source="p.csv")
    with pytest.raises(IngestError, match="malformed CSV"):
        perf.parse_performance_csv(b'Permalink,Likes\n"https://x.com/a/status/1,3\n', source="p.csv")


def test_normalize_url():
    same = ["https://www.instagram.com/p/AAA111/", "HTTPS://WWW.Instagram.com/p/AAA111/?utm_source=ig&igshid=x",
            "http://instagram.com/p/AAA111", "instagram.com/p/AAA111#comments"]
    assert {perf.normalize_url(u) for u in same} == {"instagram.com/p/AAA111"}
    assert perf.normalize_url("https://twitter.com/Filanda/status/19?s=20") == perf.normalize_url(
        "https://x.com/filanda/status/19/") == "x.com/status/19"
    assert perf.normalize_url("https://m.facebook.com/permalink.php?story_fbid=9&id=5&fbclid=abc") == \
        "facebook.com/permalink.php?id=5&story_fbid=9"  # meaningful parameters stay
    assert perf.normalize_url("https://www.instagram.com/p/aaa111/") != perf.normalize_url(same[0])  # ids keep case
    assert perf.normalize_url("") == "" and perf.platform_of_url("https://www.linkedin.com/feed/update/urn:li:activity:1/") == "linkedin"


def test_text_similarity_threshold_and_prefix():
    a = perf.normalize_for_match(TEXT_B)
    assert perf.similarity(a, perf.normalize_for_match(TEXT_B + " #Filanda")) >= TEXT_THRESHOLD
    assert perf.similarity(a, perf.normalize_for_match(TEXT_A)) < TEXT_THRESHOLD
    long_post = perf.normalize_for_match(TEXT_C + " Poi passate in negozio a provarla: " * 3)
    assert perf.similarity(perf.normalize_for_match(TEXT_C[:90] + "..."), long_post) >= TEXT_THRESHOLD


# --- import, matching, idempotency --------------------------------------------------------------

def test_import_matches_by_url_by_text_and_lists_unmatched(perf_services):
    svc, ids = perf_services, perf_services.item_ids
    reports = import_all(svc)
    ig, fb, li, x = (reports[n] for n in FILES)
    assert (ig.matched_by_url, ig.matched_by_text, [u["row"] for u in ig.unmatched]) == (2, 2, [6])
    assert ig.unmatched[0]["url"] == "https://www.instagram.com/p/UUU555/"
    assert (fb.matched_by_url, fb.matched_by_text, [u["row"] for u in fb.unmatched]) == (2, 0, [4])
    assert (li.matched_by_url, li.matched_by_text, [u["row"] for u in li.unmatched]) == (0, 1, [4])
    assert (x.matched_by_url, x.matched_by_text, x.unmatched) == (2, 0, [])
    assert ig.added == 5 and ig.measured_from == "import day" and ig.measured_at == "2026-04-01T00:00:00+00:00"
    by_url = {r.url: r for r in records(svc)}
    assert by_url["https://instagram.com/p/QQQ222"].item_id == ids["A"]
    text_b = by_url["https://www.instagram.com/p/RRR333/"]
    assert (text_b.item_id, text_b.matched_by) == (ids["B"], "text") and text_b.match_score >= TEXT_THRESHOLD
    assert text_b.doc_id is not None  # B's approved exemplar in the library, refreshed too
    assert by_url["https://www.facebook.com/filanda/posts/2002"].item_id == ids["C"]
    assert by_url["https://twitter.com/filanda/status/1900000000000000001"].item_id == ids["D"]
    scratch = [by_url[u] for u in ("HTTPS://WWW.Instagram.com/p/AAA111/?utm_source=ig_web_copy_link&igshid=MzRlODBiNWFlZA==",
                                   "https://www.instagram.com/p/SSS444/",
                                   "https://m.facebook.com/filanda/posts/1001/?fbclid=IwAR0abc",
                                   "https://twitter.com/filanda/status/1890000000000000001")]
    assert all(r.item_id is None and r.doc_id for r in scratch)
    assert [r.matched_by for r in scratch] == ["url", "text", "url", "url"]
    li_row = next(r for r in records(svc) if r.platform == "linkedin" and r.doc_id)
    assert li_row.matched_by == "text" and li_row.engagement_rate == 0.05125
    assert by_url["https://www.instagram.com/p/UUU555/"].item_id is None
    assert by_url["https://www.instagram.com/p/UUU555/"].doc_id is None
    # the matched library posts carry the fresh figures
    meta = index_meta(svc, scratch[0].doc_id)
    assert (meta["likes"], meta["impressions"], meta["engagement"]) == (900, 9000, 900 + 2 * 40 + 3 * 60)
    assert meta["measured_at"] == "2026-04-01T00:00:00+00:00" and meta["engagement_rate"] == round(1000 / 9000, 6)


def test_reimport_is_idempotent_and_updates_changed_figures(perf_services):
    svc = perf_services
    raw = (FIX / "meta_instagram_en.csv").read_bytes()
    first = perf.import_bytes(svc, BRAND, raw, "ig.csv", now=NOW)
    again = perf.import_bytes(svc, BRAND, raw, "ig.csv", now=NOW + timedelta(hours=3))
    next_day = perf.import_bytes(svc, BRAND, raw, "ig.csv", now=NOW + timedelta(days=1))
    assert (first.added, again.added, again.unchanged, next_day.added, next_day.unchanged) == (5, 0, 5, 0, 5)
    assert again.refreshed_docs == 0 and len(records(svc)) == 5
    changed = raw.replace(b"Lifetime,4000,3100,150", b"Lifetime,4000,3100,190")  # QQQ222: 40 more likes
    same_day = perf.import_bytes(svc, BRAND, changed, "ig.csv", now=NOW)
    assert (same_day.added, same_day.updated, same_day.unchanged) == (0, 1, 4) and len(records(svc)) == 5
    later = perf.import_bytes(svc, BRAND, changed.replace(b",190,", b",250,"), "ig.csv",
                              measured_at=datetime(2026, 4, 15, tzinfo=timezone.utc))
    assert (later.added, later.unchanged, later.measured_from) == (1, 4, "argument")
    history = [r for r in records(svc) if r.url == "https://instagram.com/p/QQQ222"]
    assert [(r.likes, r.measured_at.date().isoformat()) for r in history] == [(190, "2026-04-01"), (250, "2026-04-15")]
    # an older export afterwards does not overwrite the newer figures in the library
    older = perf.import_bytes(svc, BRAND, raw, "ig.csv", measured_at=datetime(2026, 3, 25, tzinfo=timezone.utc))
    exemplar = history[-1].doc_id
    assert older.added == 1 and index_meta(svc, exemplar)["likes"] == 250


def test_a_file_that_fails_writes_nothing(perf_services):
    svc = perf_services
    for name in ("broken_no_columns.csv",):
        with pytest.raises(IngestError, match="nothing was imported"):
            perf.import_file(svc, BRAND, FIX / name, now=NOW)
    with pytest.raises(IngestError):
        perf.import_bytes(svc, BRAND, b"\x00\x01binary", "x.xlsx", now=NOW)
    count = svc.review.read(lambda s: s.scalar(select(func.count()).select_from(PerformanceRecord)))
    assert count == 0


def test_retrieval_uses_refreshed_figures_without_reembedding(services, brands_dir):
    folder = write_brand(brands_dir, "ranking", platforms=["instagram"])
    base = "Filò del giovedì in bottega con la lana Foza"
    (folder / "posts.csv").write_text(
        "posted_at,platform,text,likes,comments,shares,impressions,url\n"
        f"2026-01-01,instagram,{base} alpha,5000,0,0,90000,https://www.instagram.com/p/P1/\n"
        f"2026-01-02,instagram,{base} beta,5,0,0,900,https://www.instagram.com/p/P2/\n"
        "2026-01-03,instagram,Orari di apertura per le feste di Natale,50,0,0,1000,https://www.instagram.com/p/P3/\n"
        "2026-01-04,instagram,Spedizioni gratuite in tutta Italia sopra i cento euro,50,0,0,1000,https://www.instagram.com/p/P4/\n",
        encoding="utf-8")
    services.knowledge.index_brand(services.brand("ranking"), force=True)

    def order() -> list[str]:
        return [s.text.split()[-1] for s in services.retriever.retrieve("ranking", base, k=2, kind="post",
                                                                         lambda_mult=1.0)]

    assert order() == ["alpha", "beta"]
    calls, inner_calls = services.embedder.calls, services.embedder.inner.calls
    export = ("Permalink,Description,Publish time,Views,Reach,Likes,Comments,Shares\n"
              "https://instagram.com/p/P1?igshid=1,x,2026-01-01,90000,80000,2,0,0\n"
              "https://instagram.com/p/P2/,y,2026-01-02,90000,80000,5000,40,30\n").encode("utf-8")
    report = perf.import_bytes(services, "ranking", export, "ig.csv", now=NOW)
    assert report.matched_by_url == 2 and report.refreshed_docs == 2
    assert (services.embedder.calls, services.embedder.inner.calls) == (calls, inner_calls)  # nothing re-embedded
    assert order() == ["beta", "alpha"]
    top = services.retriever.retrieve("ranking", base, k=1, kind="post", lambda_mult=1.0)[0]
    assert top.metadata["engagement"] == 5000 + 2 * 40 + 3 * 30 and top.metadata["measured_at"].startswith("2026-04-01")


# --- insights and CLI ---------------------------------------------------------------------------

def test_top_posts_and_ai_vs_scratch(perf_services):
    svc = perf_services
    import_all(svc)
    ig = perf.top_posts(svc.review, BRAND, platform="instagram", limit=10)
    assert [r["url"].split("/p/")[1][:6] for r in ig] == ["AAA111", "SSS444", "RRR333", "QQQ222", "UUU555"]
    assert {r["sample_size"] for r in ig} == {5} and ig[0]["engagement_rate"] == round(1000 / 9000, 6)
    assert [r["origin"] for r in ig] == ["from_scratch", "from_scratch", "ai_assisted", "ai_assisted", "unmatched"]
    every = perf.top_posts(svc.review, BRAND, limit=1)
    assert [(r["platform"], r["sample_size"]) for r in every] == [("facebook", 3), ("instagram", 5), ("linkedin", 2),
                                                                  ("x", 2)]
    rows = {r["origin"]: r for r in perf.ai_vs_scratch(svc.review, BRAND)}
    assert (rows["ai_assisted"]["posts"], rows["from_scratch"]["posts"]) == (4, 5)
    assert rows["ai_assisted"]["pooled_rate"] == round((180 + 100 + 150 + 60) / (4000 + 2000 + 3000 + 1500), 6)
    assert rows["ai_assisted"]["median_rate"] == round((0.045 + 0.05) / 2, 6)
    per = perf.ai_vs_scratch(svc.review, BRAND, per_platform=True)
    assert {(r["platform"], r["origin"], r["posts"]) for r in per} >= {("instagram", "ai_assisted", 2),
                                                                       ("instagram", "from_scratch", 2)}
    march = perf.latest(svc.review, BRAND, start=at(1, 0), end=datetime(2026, 4, 1, tzinfo=timezone.utc))
    assert len(march) == 7


def _cli_app():
    import typer

    from assistant.cli.perf import perf_app
    from assistant.cli.report import report as report_command

    app = typer.Typer()
    app.add_typer(perf_app, name="perf")
    app.command("report")(report_command)
    return app


def test_cli_perf_import_top_and_report(perf_services, monkeypatch, tmp_path):
    import assistant.cli.common as cli

    monkeypatch.setattr(cli, "services", lambda **kw: perf_services)
    runner = CliRunner()
    result = runner.invoke(_cli_app(), ["perf", "import", BRAND, str(FIX / "meta_facebook_it.csv"), "--json",
                                        "--measured-at", "2026-03-31T00:00:00+00:00"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["added"] == 3 and out["matched_by_url"] == 2 and out["unmatched"][0]["row"] == 4
    assert out["warnings"] == ["meta_facebook_it.csv, row 3, column 'Clic totali': 'n.d.' is not a number; left empty"]
    result = runner.invoke(_cli_app(), ["perf", "import", BRAND, str(FIX / "x_tweet_activity_en.csv"),
                                        "--map", "text=Tweet text"])
    assert result.exit_code == 0 and "matched by URL 2" in result.stdout
    result = runner.invoke(_cli_app(), ["perf", "import", BRAND, str(FIX / "broken_no_columns.csv")])
    assert result.exit_code == 1 and "nothing was imported" in result.stderr
    result = runner.invoke(_cli_app(), ["perf", "import", BRAND, str(FIX / "x_tweet_activity_en.csv"), "--map", "oops"])
    assert result.exit_code == 2
    result = runner.invoke(_cli_app(), ["perf", "top", BRAND, "--platform", "facebook", "--json"])
    top = json.loads(result.stdout)
    assert result.exit_code == 0 and [r["rank"] for r in top] == [1, 2, 3] and top[0]["engagement_rate"] == 0.05
    target = tmp_path / "r.html"
    result = runner.invoke(_cli_app(), ["report", BRAND, "--month", "2026-03", "--language", "en", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert "Monthly report" in target.read_text(encoding="utf-8")
    result = runner.invoke(_cli_app(), ["report", BRAND, "--month", "2026-13"])
    assert result.exit_code == 1 and "YYYY-MM" in result.stderr


def test_migration_0002_creates_the_performance_table(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    from assistant.db.engine import current_revision, head_revision, make_engine, upgrade
    from assistant.db.models import Base

    engine = make_engine(f"sqlite:///{tmp_path}/m.db")
    try:
        assert upgrade(engine) and current_revision(engine) == head_revision()
        assert "performance" in inspect(engine).get_table_names() and upgrade(engine) is False
        with engine.connect() as conn:  # the model describes exactly what the migration built
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()
