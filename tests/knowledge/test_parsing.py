"""Ingestion is pure: bytes in, documents and warnings out. Real-world encodings and layouts."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from assistant.errors import IngestError
from assistant.knowledge.files import FileError, check_size, problem_text, zone_info
from assistant.knowledge.parsing import (
    content_id,
    decode_bytes,
    guess_mapping,
    parse_count,
    parse_date,
    parse_file,
    parse_guideline,
    parse_posts_csv,
    sniff_posts,
)
from assistant.knowledge.parsing import MIXED
from tests.conftest import SHARED_DATA

ITALIAN_ROWS = [
    ("14/03/2026 18:30", "Instagram", "Perché la lana del Pasubio è più calda? Vieni a scoprirlo in bottega.", "1.234", "56", "12"),
    ("15/03/2026 09:00", "Facebook", "Sabato siamo alla fiera di Schio: città in festa, caffè offerto!", "310", "8", "4"),
]


def _csv_bytes(header, rows, delimiter=",", encoding="utf-8") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "delimiter", "expected_encoding"),
    [("utf-8", ",", "utf-8"), ("utf-8-sig", ";", "utf-8-sig"), ("cp1252", ";", "cp1252"),
     ("utf-16", "\t", "utf-16"), ("utf-8", "\t", "utf-8")],
)
def test_encodings_and_delimiters(encoding, delimiter, expected_encoding):
    raw = _csv_bytes(["Data", "Piattaforma", "Testo", "Mi piace", "Commenti", "Condivisioni"], ITALIAN_ROWS,
                     delimiter, encoding)
    parsed = parse_posts_csv(raw, brand="b", source="export.csv")
    assert parsed.encoding == expected_encoding
    assert parsed.delimiter == delimiter
    assert [d.text for d in parsed.documents] == [r[2] for r in ITALIAN_ROWS]
    first = parsed.documents[0].metadata
    assert first["platform"] == "instagram"
    assert first["likes"] == 1234 and first["comments"] == 56 and first["shares"] == 12
    assert first["engagement"] == 1234 + 2 * 56 + 3 * 12
    assert first["posted_at"].startswith("2026-03-14T18:30")
    assert parsed.warnings == [] and parsed.rejected == []


def test_column_aliases_are_case_insensitive():
    mapping = guess_mapping(["CAPTION", "Published_At", "Network", "Reactions", "Retweets", "Replies", "Reach"])
    assert mapping == {"text": "CAPTION", "posted_at": "Published_At", "platform": "Network",
                       "likes": "Reactions", "shares": "Retweets", "comments": "Replies", "impressions": "Reach"}


def test_explicit_mapping_overrides_guess():
    raw = _csv_bytes(["text", "Corpo del post", "date"], [("titolo interno", "Il vero testo del post", "2026-01-02")])
    guessed = parse_posts_csv(raw, brand="b", source="a.csv")
    assert guessed.documents[0].text == "titolo interno"
    mapped = parse_posts_csv(raw, brand="b", source="a.csv", mapping={"text": "Corpo del post"})
    assert mapped.documents[0].text == "Il vero testo del post"
    assert mapped.mapping["text"] == "Corpo del post"


def test_mapping_to_missing_column_names_it():
    raw = _csv_bytes(["text"], [("ciao",)])
    with pytest.raises(IngestError, match="'Messaggio'.*not in the header"):
        parse_posts_csv(raw, brand="b", source="a.csv", mapping={"text": "Messaggio"})
    with pytest.raises(IngestError, match="unknown field"):
        parse_posts_csv(raw, brand="b", source="a.csv", mapping={"testo": "text"})


def test_no_text_column_is_a_clear_error():
    raw = _csv_bytes(["date", "likes"], [("2026-01-01", "3")])
    with pytest.raises(IngestError) as err:
        parse_posts_csv(raw, brand="b", source="numbers.csv")
    assert "numbers.csv" in str(err.value) and "no text column" in str(err.value) and "'date'" in str(err.value)


@pytest.mark.parametrize("raw", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_empty_file(raw):
    with pytest.raises(IngestError, match="empty"):
        parse_posts_csv(raw, brand="b", source="empty.csv")


def test_header_only_file_writes_nothing():
    with pytest.raises(IngestError, match="no usable post"):
        parse_posts_csv(b"text,date\n", brand="b", source="h.csv")


def test_binary_file_is_refused():
    xlsx_like = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)) * 4
    with pytest.raises(IngestError, match="binary.*CSV"):
        parse_posts_csv(xlsx_like, brand="b", source="posts.xlsx.csv")


def test_empty_text_rows_and_bad_values_name_file_row_and_column():
    raw = _csv_bytes(
        ["date", "text", "likes"],
        [("2026-01-01", "Primo post", "10"), ("2026-01-02", "   ", "3"), ("ieri sera", "Terzo post", "molti")],
    )
    parsed = parse_posts_csv(raw, brand="b", source="mix.csv")
    assert [d.text for d in parsed.documents] == ["Primo post", "Terzo post"]
    assert len(parsed.rejected) == 1
    rejected = str(parsed.rejected[0])
    assert "mix.csv" in rejected and "row 3" in rejected and "'text'" in rejected and "empty text" in rejected
    messages = [str(w) for w in parsed.warnings]
    assert any("row 4" in m and "'date'" in m and "ieri sera" in m for m in messages)
    assert any("row 4" in m and "'likes'" in m and "molti" in m for m in messages)
    assert "posted_at" not in parsed.documents[1].metadata  # kept, without a date


def test_duplicate_rows_kept_once_with_a_warning():
    raw = _csv_bytes(["text", "platform"], [("Stesso testo", "x"), ("Stesso  testo", "x"), ("Stesso testo", "linkedin")])
    parsed = parse_posts_csv(raw, brand="b", source="d.csv")
    assert len(parsed.documents) == 2  # same text on another platform is another post
    assert "same text as row 2" in str(parsed.warnings[0])


def test_malformed_csv_fails_whole():
    raw = b'text,likes\nfirst,1\n"unterminated quote,3\nsecond,4\n'
    with pytest.raises(IngestError, match="malformed CSV.*nothing was ingested"):
        parse_posts_csv(raw, brand="b", source="bad.csv")


def test_oversized_file_is_refused(tmp_path):
    from assistant.knowledge.files import read_file

    path = tmp_path / "big.csv"
    path.write_bytes(b"text\n" + b"x" * 2048)
    with pytest.raises(IngestError, match="over the .* limit.*ASSISTANT_MAX_UPLOAD_MB"):
        read_file(path, max_bytes=1024)
    assert read_file(path, max_bytes=4096).startswith(b"text")


def test_ids_are_content_hashes_scoped_to_brand():
    raw = _csv_bytes(["text", "platform"], [("Ciao a tutti", "x")])
    a = parse_posts_csv(raw, brand="alpha", source="p.csv").documents[0]
    a2 = parse_posts_csv(raw, brand="alpha", source="other-name.csv").documents[0]
    b = parse_posts_csv(raw, brand="beta", source="p.csv").documents[0]
    assert a.id == a2.id != b.id
    assert a.id == content_id("alpha", "post", "x", "Ciao a tutti")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.234", 1234), ("1,234", 1234), ("12", 12), ("2,5K", 2500), ("1.2M", 1_200_000), ("", None),
     ("1 234", 1234), ("-", None), ("3.0", 3)],
)
def test_parse_count(value, expected):
    assert parse_count(value) == expected


@pytest.mark.parametrize(
    ("value", "iso"),
    [("2026-03-14T18:30:00+01:00", "2026-03-14T18:30:00+01:00"), ("2017-11-29T10:35:55Z", "2017-11-29T10:35:55+00:00"),
     ("14/03/2026 18:30", "2026-03-14T17:30:00+00:00"), ("14/07/2026 18:30", "2026-07-14T16:30:00+00:00"),
     ("2026-03-14", "2026-03-13T23:00:00+00:00"), ("2026-03-29 03:30", "2026-03-29T01:30:00+00:00"),
     ("Wed Aug 07 13:22:17 +0000 2024", "2024-08-07T13:22:17+00:00"), ("2026-07-14 18:30 UTC", "2026-07-14T18:30:00+00:00")],
)
def test_parse_date_reads_naive_times_in_the_brands_zone(value, iso):
    """Without an offset: a wall-clock time in the zone (CET in March, CEST in July, the night the
    clocks change included), returned in UTC; with one, it keeps it."""
    assert parse_date(value, zone_info("Europe/Rome")).isoformat() == iso


@pytest.mark.parametrize(
    ("value", "iso"),
    [("14/03/2026 18:30", "2026-03-14T18:30:00+00:00"), ("2026-03-14", "2026-03-14T00:00:00+00:00"),
     ("2026-03-14T18:30:00+01:00", "2026-03-14T18:30:00+01:00")],
)
def test_parse_date_without_a_zone_or_told_utc_reads_utc(value, iso):
    assert parse_date(value).isoformat() == iso
    assert parse_date(value, zone_info("UTC")).isoformat() == iso


def test_an_unknown_zone_is_refused_with_a_code():
    with pytest.raises(FileError, match="unknown time zone 'Europe/Roma'") as err:
        zone_info("Europe/Roma")
    assert err.value.code == "unknown_zone"
    assert err.value.localised("it") == "Fuso orario sconosciuto 'Europe/Roma': usa un nome come Europe/Rome, oppure UTC."


NAIVE_ROWS = [("14/03/2026 18:30", "Filò del giovedì in bottega", "40"),
              ("14/07/2026 18:30", "Calze di lana per l'estate", "25"),
              ("2026-03-14T18:30:00+01:00", "Con il suo fuso", "10")]


def test_posts_without_a_zone_are_read_in_the_brands_zone_and_stored_in_utc():
    raw = _csv_bytes(["data", "testo", "mi piace"], NAIVE_ROWS)
    rome = parse_posts_csv(raw, brand="b", source="p.csv", zone="Europe/Rome", platform="instagram")
    march, july, offset = (d.metadata for d in rome.documents)
    assert march["posted_at"] == "2026-03-14T17:30:00+00:00"  # CET: UTC+1
    assert july["posted_at"] == "2026-07-14T16:30:00+00:00"  # CEST: UTC+2
    assert march["posted_ts"] == int(datetime(2026, 3, 14, 17, 30, tzinfo=timezone.utc).timestamp())
    assert offset["posted_at"] == "2026-03-14T18:30:00+01:00"  # a date with an offset keeps it
    utc = parse_posts_csv(raw, brand="b", source="p.csv", zone="UTC", platform="instagram")
    assert [d.metadata["posted_at"] for d in utc.documents] == ["2026-03-14T18:30:00+00:00",
                                                                "2026-07-14T18:30:00+00:00",
                                                                "2026-03-14T18:30:00+01:00"]


def test_a_file_without_a_platform_column_takes_the_platform_given():
    raw = _csv_bytes(["data", "testo", "mi piace"], NAIVE_ROWS)
    assert "platform" not in sniff_posts(raw, "p.csv").mapping
    given = parse_posts_csv(raw, brand="b", source="p.csv", platform="Instagram")
    assert {d.metadata["platform"] for d in given.documents} == {"instagram"}
    twitter = parse_posts_csv(raw, brand="b", source="p.csv", platform="Twitter")  # aliases as in files
    assert {d.metadata["platform"] for d in twitter.documents} == {"x"}
    mixed = parse_posts_csv(raw, brand="b", source="p.csv", platform=MIXED)
    assert {d.metadata["platform"] for d in mixed.documents} == {""}
    # the platform is part of the post's id: the same text on another platform is another post
    assert given.documents[0].id != mixed.documents[0].id
    with pytest.raises(FileError, match="no platform column.*--platform instagram.*--platform mixed") as err:
        parse_posts_csv(raw, brand="b", source="p.csv", require_platform=True)
    assert err.value.code == "no_platform_column"
    assert parse_posts_csv(raw, brand="b", source="p.csv", require_platform=True, platform=MIXED).documents
    with pytest.raises(FileError, match="unknown platform 'Myspace'") as err:
        parse_posts_csv(raw, brand="b", source="p.csv", platform="Myspace")
    assert err.value.code == "unknown_platform"


def test_a_platform_column_wins_over_the_platform_given_and_fills_empty_cells():
    raw = _csv_bytes(["text", "platform"], [("Su Facebook", "Facebook"), ("Senza piattaforma", "")])
    parsed = parse_posts_csv(raw, brand="b", source="p.csv", platform="linkedin", require_platform=True)
    assert [d.metadata["platform"] for d in parsed.documents] == ["facebook", "linkedin"]


def test_file_problems_are_said_in_the_readers_language():
    raw = _csv_bytes(["date", "text", "likes"], [("2026-01-01", "   ", "3"), ("ieri sera", "Post", "molti")])
    parsed = parse_posts_csv(raw, brand="b", source="mix.csv")
    (empty,) = parsed.rejected
    assert empty.localised("it") == "mix.csv, riga 2, colonna 'text': testo vuoto, riga saltata"
    assert empty.localised("en") == "mix.csv, row 2, column 'text': empty text, row skipped"
    assert [w.localised("it") for w in parsed.warnings][1] == "mix.csv, riga 3, colonna 'likes': 'molti' non è un numero; lasciato vuoto"
    with pytest.raises(FileError) as err:
        parse_posts_csv(_csv_bytes(["text", "platform"], [("  ", "x")]), brand="b", source="vuoto.csv")
    assert err.value.localised("it") == ("vuoto.csv: nessun post utilizzabile nel file; non è stato importato nulla. "
                                         "(vuoto.csv, riga 2, colonna 'text': testo vuoto, riga saltata)")
    assert problem_text(err.value, "en").startswith("vuoto.csv: no usable post in the file; nothing was imported.")
    with pytest.raises(FileError) as err:
        check_size(1_520_000, 1_000_000, "grande.csv")
    assert err.value.localised("it") == "grande.csv: 1,5 MB superano il limite di 1 MB; dividi il file. Non è stato importato nulla."
    assert err.value.localised("en") == "grande.csv: 1.5 MB is over the 1 MB limit; split the file. Nothing was imported."
    assert problem_text(IngestError("plain"), "it") == "plain"  # an error without a code: its own message


def test_parse_date_rejects_garbage():
    assert parse_date("domani") is None


def test_decode_latin1_fallback():
    text, enc = decode_bytes("caffè".encode("cp1252") + b"\x81", "x.csv")  # 0x81 is undefined in cp1252
    assert enc == "latin-1" and text.startswith("caffè")


GUIDELINE = """# Voce del brand

Parliamo come in bottega: diretti, caldi, mai sopra le righe.

## Cosa fare

Raccontare il lavoro delle mani. Citare i luoghi: Schio, il Pasubio, Valdagno.

## Cosa evitare

### Parole vietate

Mai "economico", mai "low cost".
"""


def test_guideline_split_by_headings_with_path():
    parsed = parse_guideline(GUIDELINE.encode(), brand="b", source="voce.md")
    headings = [d.metadata["heading"] for d in parsed.documents]
    assert headings == ["Voce del brand", "Voce del brand > Cosa fare",
                        "Voce del brand > Cosa evitare > Parole vietate"]
    assert "economico" in parsed.documents[-1].text
    assert all(d.kind == "guideline" and d.metadata["tokens"] > 0 for d in parsed.documents)


def test_long_guideline_section_is_split_by_token_budget():
    body = " ".join(f"Frase numero {i} sul tono di voce della bottega." for i in range(400))
    parsed = parse_guideline(f"# Tono\n\n{body}\n".encode(), brand="b", source="lungo.md")
    assert len(parsed.documents) > 3
    assert all(d.metadata["tokens"] <= 350 for d in parsed.documents)
    assert all(d.metadata["heading"] == "Tono" for d in parsed.documents)


def test_text_guideline_and_unsupported_type():
    parsed = parse_file(b"Scriviamo semplice.\n\nSempre.", brand="b", source="note.txt")
    assert parsed.kind == "guideline" and parsed.documents[0].metadata["heading"] == ""
    with pytest.raises(IngestError, match="unsupported file type"):
        parse_file(b"x", brand="b", source="photo.png")


def test_heading_without_body_is_an_error():
    with pytest.raises(IngestError, match="no text"):
        parse_guideline(b"# Titolo\n\n## Sotto\n", brand="b", source="vuoto.md")


@pytest.mark.skipif(not (SHARED_DATA / "posts").is_dir(), reason="../shared/data/posts is not present")
@pytest.mark.parametrize("path", sorted((SHARED_DATA / "posts").glob("*.csv")) if (SHARED_DATA / "posts").is_dir() else [],
                         ids=lambda p: p.name)
def test_real_exports_ingest_as_they_are(path):
    raw = path.read_bytes()
    parsed = parse_posts_csv(raw, brand="real", source=path.name)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    non_empty = [r for r in rows if r["text"].strip()]
    assert len(parsed.documents) + len([w for w in parsed.warnings if "same text" in w.message]) == len(non_empty)
    assert {d.metadata["platform"] for d in parsed.documents} == {"x"}  # "twitter" is normalised
    assert all("posted_at" in d.metadata for d in parsed.documents)
    liked = [r for r in non_empty if r["likes"].strip()]
    if liked:
        assert sum("likes" in d.metadata for d in parsed.documents) >= len(liked) - len(parsed.warnings)


@pytest.mark.skipif(not (SHARED_DATA / "guidelines").is_dir(), reason="../shared/data/guidelines is not present")
def test_real_guidelines_ingest():
    files = sorted((SHARED_DATA / "guidelines").glob("*/*.md"))
    assert files
    for path in files:
        parsed = parse_guideline(path.read_bytes(), brand="real", source=path.name)
        assert parsed.documents, path
        assert all(d.metadata["tokens"] <= 350 for d in parsed.documents), path


# --- encodings Italian users upload: the fixed rules, and charset-normalizer where they can't tell ---

_ENC_CSV = ("data;piattaforma;testo;like\n"
            "14/03/2026 18:30;Instagram;Perché la lana del Pasubio è più calda? Vieni in bottega, città e caffè;1.234\n"
            "15/03/2026 09:00;Facebook;Sabato siamo alla fiera di Schio: più gusto, perché no? Lì c'è l'università;310\n")
_ENC_SMART = _ENC_CSV + "16/03/2026 10:00;LinkedIn;“Qualità” e l’attenzione al cliente: sconto – solo 5 € a persona…;42\n"
_ENC_SHORT = "testo\nCaffè e città\n"
_ENC_MAC = _ENC_SMART.replace("€", "EUR")
ENCODED_SAMPLES = [  # (id, bytes, text they must decode to)
    ("utf-8", _ENC_SMART.encode("utf-8"), _ENC_SMART),
    ("utf-8 short", _ENC_SHORT.encode("utf-8"), _ENC_SHORT),
    ("ascii", b"testo\nciao a tutti\n", "testo\nciao a tutti\n"),
    ("utf-8-sig", _ENC_SMART.encode("utf-8-sig"), _ENC_SMART),
    ("utf-16-le BOM", b"\xff\xfe" + _ENC_SMART.encode("utf-16-le"), _ENC_SMART),
    ("utf-16-be BOM", b"\xfe\xff" + _ENC_SMART.encode("utf-16-be"), _ENC_SMART),
    ("cp1252 euro and smart quotes", _ENC_SMART.encode("cp1252"), _ENC_SMART),
    ("cp1252 accents", _ENC_CSV.encode("cp1252"), _ENC_CSV),
    ("cp1252 one line", _ENC_SHORT.encode("cp1252"), _ENC_SHORT),
    ("latin-1", _ENC_CSV.encode("latin-1"), _ENC_CSV),
    ("mac_roman", _ENC_CSV.encode("mac_roman"), _ENC_CSV),
    ("mac_roman smart quotes", _ENC_MAC.encode("mac_roman"), _ENC_MAC),
    ("utf-16-le no BOM", _ENC_SMART.encode("utf-16-le"), _ENC_SMART),
    ("utf-16-be no BOM", _ENC_SMART.encode("utf-16-be"), _ENC_SMART),
]


def _decode_before_charset_normalizer(raw: bytes) -> str | None:
    """decode_bytes as it was (BOMs, UTF-16, utf-8, cp1252, latin-1): the baseline it must not lose to."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if b"\x00" in raw:
        return None  # refused as binary
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


@pytest.mark.parametrize(("raw", "expected"), [s[1:] for s in ENCODED_SAMPLES], ids=[s[0] for s in ENCODED_SAMPLES])
def test_decode_italian_samples(raw, expected):
    import codecs

    text, encoding = decode_bytes(raw, "x.csv")
    assert text == expected
    assert decode_bytes(raw, "x.csv") == (text, encoding)  # deterministic
    assert codecs.lookup(encoding)  # a codec Python knows


def test_decode_is_never_worse_than_the_fixed_rules_alone():
    before = [name for name, raw, text in ENCODED_SAMPLES if _decode_before_charset_normalizer(raw) == text]
    now = [name for name, raw, text in ENCODED_SAMPLES if decode_bytes(raw, "x.csv")[0] == text]
    assert set(before) <= set(now)
    assert set(now) - set(before) == {"mac_roman", "mac_roman smart quotes", "utf-16-le no BOM", "utf-16-be no BOM"}


def test_decode_keeps_fixed_names_and_guessed_ones():
    assert decode_bytes(_ENC_SMART.encode("cp1252"), "x.csv")[1] == "cp1252"
    assert decode_bytes(_ENC_CSV.encode("mac_roman"), "x.csv")[1] == "mac_roman"
    assert decode_bytes(_ENC_SMART.encode("utf-16-le"), "x.csv")[1] == "utf-16-le"
    assert decode_bytes(_ENC_SMART.encode("utf-16-be"), "x.csv")[1] == "utf-16-be"


@pytest.mark.parametrize("raw", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
                                 b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 8,
                                 b"SQLite format 3\x00" + bytes(range(256)) * 4],
                         ids=["png", "zip", "sqlite"])
def test_binary_with_nul_bytes_is_not_taken_for_utf16(raw):
    with pytest.raises(IngestError, match="binary"):
        decode_bytes(raw, "x.csv")


def test_utf16_without_bom_parses_as_csv():
    raw = _csv_bytes(["Data", "Piattaforma", "Testo", "Mi piace", "Commenti", "Condivisioni"], ITALIAN_ROWS,
                     "\t", "utf-16-le")
    parsed = parse_posts_csv(raw, brand="b", source="export.csv")
    assert parsed.encoding == "utf-16-le"
    assert [d.text for d in parsed.documents] == [r[2] for r in ITALIAN_ROWS]


def test_a_long_cell_is_read_duplicate_headers_say_which_column_is_used_and_sizes_use_the_setting_unit(tmp_path):
    from assistant.errors import IngestError
    from assistant.knowledge.files import read_file
    from assistant.knowledge.parsing import parse_posts_csv

    long_text = "lana " * 400_000  # a 2 MB cell: over Python's csv default of 131,072 characters
    parsed = parse_posts_csv(f'text,platform\n"{long_text}",x\n'.encode(), brand="b", source="lungo.csv")
    assert parsed.documents[0].text == long_text.strip()
    parsed = parse_posts_csv(b"text,Text,platform\nprimo testo,secondo testo,x\n", brand="b", source="doppio.csv")
    assert parsed.documents[0].text == "primo testo"
    (warning,) = [w for w in parsed.warnings if "appears twice" in w.message]
    assert "columns 1 and 2" in warning.message and "column 1 is used for text" in warning.message
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 21_000_000)
    with pytest.raises(IngestError, match=r"21\.0 MB is over the 20 MB limit"):
        read_file(big, 20_000_000)
