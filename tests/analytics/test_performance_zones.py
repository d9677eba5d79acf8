"""Performance exports whose times carry no zone: read in the brand's time zone (DST included),
stored in UTC; "these times are UTC" (or another zone) per import; offsets in the file are kept."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from assistant.analytics import performance as perf
from assistant.knowledge.files import FileError
from tests.conftest import write_brand

BRAND = "lanificio"
EXPORT = ("Permalink,Description,Publish time,Likes,Views\n"
          "https://www.instagram.com/p/MAR/,Filò del giovedì,14/03/2026 18:30,10,200\n"
          "https://www.instagram.com/p/JUL/,Calze per l'estate,14/07/2026 18:30,12,300\n"
          "https://www.instagram.com/p/OFF/,Con il suo fuso,2026-03-14T18:30:00+01:00,5,100\n").encode()
UTC = timezone.utc


def posted(rows) -> list[datetime | None]:
    return [r.posted_at for r in rows]


def test_parsing_reads_naive_times_in_the_zone_given():
    rome = perf.parse_performance_csv(EXPORT, source="ig.csv", zone="Europe/Rome")
    assert posted(rome.rows) == [datetime(2026, 3, 14, 17, 30, tzinfo=UTC),  # CET
                                 datetime(2026, 7, 14, 16, 30, tzinfo=UTC),  # CEST
                                 datetime(2026, 3, 14, 17, 30, tzinfo=UTC)]  # its own offset
    assert [r.posted_at.utcoffset() for r in rome.rows[:2]] == [UTC.utcoffset(None)] * 2  # in UTC
    assert posted(perf.parse_performance_csv(EXPORT, source="ig.csv").rows)[:2] == [  # no zone: UTC
        datetime(2026, 3, 14, 18, 30, tzinfo=UTC), datetime(2026, 7, 14, 18, 30, tzinfo=UTC)]
    measured = perf.parse_performance_csv(b"Permalink,Likes,Measured at\nhttps://x.com/a/status/1,3,31/03/2026 00:00\n",
                                          source="x.csv", zone="Europe/Rome")
    assert measured.rows[0].measured_at == datetime(2026, 3, 30, 22, 0, tzinfo=UTC)
    with pytest.raises(FileError, match="unknown time zone"):
        perf.parse_performance_csv(EXPORT, source="ig.csv", zone="Europe/Nowhere")


@pytest.fixture
def brand_services(services, brands_dir):
    write_brand(brands_dir, BRAND, platforms=["instagram"], timezone="Europe/Rome")
    write_brand(brands_dir, "london-wool", platforms=["instagram"], timezone="Europe/London")
    return services


def stored(services, brand: str) -> list[datetime]:
    return sorted(r["posted_at"] for r in perf.latest(services.review, brand))


def test_an_import_reads_the_brands_zone_unless_told_utc(brand_services):
    perf.import_bytes(brand_services, BRAND, EXPORT, "ig.csv")
    assert stored(brand_services, BRAND) == [datetime(2026, 3, 14, 17, 30, tzinfo=UTC),
                                             datetime(2026, 3, 14, 17, 30, tzinfo=UTC),
                                             datetime(2026, 7, 14, 16, 30, tzinfo=UTC)]
    perf.import_bytes(brand_services, "london-wool", EXPORT, "ig.csv")  # another brand, another zone
    assert stored(brand_services, "london-wool")[1:] == [datetime(2026, 3, 14, 18, 30, tzinfo=UTC),  # GMT
                                                         datetime(2026, 7, 14, 17, 30, tzinfo=UTC)]  # BST


def test_these_times_are_utc(brand_services):
    perf.import_bytes(brand_services, BRAND, EXPORT, "ig.csv", zone="UTC")
    assert stored(brand_services, BRAND) == [datetime(2026, 3, 14, 17, 30, tzinfo=UTC),  # the offset one
                                             datetime(2026, 3, 14, 18, 30, tzinfo=UTC),
                                             datetime(2026, 7, 14, 18, 30, tzinfo=UTC)]


def test_import_problems_are_said_in_the_readers_language(brand_services):
    with pytest.raises(FileError) as err:
        perf.import_bytes(brand_services, BRAND, b"Permalink,Description\nhttps://x.com/a/status/1,ciao\n", "p.csv")
    assert err.value.code == "no_figures"
    assert err.value.localised("it").startswith("p.csv: nessuna colonna con i risultati")
    parsed = perf.parse_performance_csv(b"Permalink,Likes,Date\nhttps://x.com/a/status/1,3,03/04/2026\n"
                                        b"https://x.com/a/status/2,4,04/03/2026\n", source="x.csv")
    (ambiguous,) = parsed.warnings
    assert ambiguous.localised("it") == ("x.csv, colonna 'Date': date come 03/04 sono ambigue qui: lette come "
                                         "giorno/mese; usa date ISO (2026-04-03) se sono mese/giorno")
