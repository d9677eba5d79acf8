"""Brand profiles: validation with errors that name the file and the key; the demo brands."""

from __future__ import annotations

import csv

import pytest

from assistant.brands import list_brand_slugs, load_brand
from assistant.errors import BrandNotFound, BrandProfileError
from assistant.knowledge.parsing import parse_posts_csv
from tests.conftest import DEMO_BRANDS, write_brand


def test_unknown_key_names_key_and_file(tmp_path):
    write_brand(tmp_path, "acme", colour="blu")
    with pytest.raises(BrandProfileError) as err:
        load_brand(tmp_path, "acme")
    assert "unknown key 'colour'" in str(err.value) and str(tmp_path / "acme" / "brand.yaml") in str(err.value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"language": "italiano"}, "'language'.*ISO 639-1"), ({"voice": ""}, "'voice'"),
     ({"timezone": "Europe/Vicenza"}, "unknown time zone"), ({"emoji": "tante"}, "'emoji'"),
     ({"languages": ["it", "english"]}, "languages")],
)
def test_invalid_values(tmp_path, fields, message):
    write_brand(tmp_path, "acme", **fields)
    with pytest.raises(BrandProfileError, match=message):
        load_brand(tmp_path, "acme")


def test_missing_required_and_malformed_yaml(tmp_path):
    folder = write_brand(tmp_path, "acme")
    (folder / "brand.yaml").write_text("name: Acme\nlanguage: it\n", encoding="utf-8")
    with pytest.raises(BrandProfileError, match="missing required key 'voice'"):
        load_brand(tmp_path, "acme")
    (folder / "brand.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(BrandProfileError, match="not valid UTF-8 YAML"):
        load_brand(tmp_path, "acme")
    (folder / "brand.yaml").write_text("- a list\n", encoding="utf-8")
    with pytest.raises(BrandProfileError, match="expected a mapping"):
        load_brand(tmp_path, "acme")


def test_unknown_brand_lists_known_ones(tmp_path):
    write_brand(tmp_path, "acme")
    with pytest.raises(BrandNotFound, match="known brands: acme"):
        load_brand(tmp_path, "nope")
    with pytest.raises(BrandNotFound, match="valid brand slug"):
        load_brand(tmp_path, "../etc")


def test_hashtags_normalised_and_languages(tmp_path):
    write_brand(tmp_path, "acme", required_hashtags=["Acme"], hashtags=["#uno", " due "], languages=["en", "it"])
    profile = load_brand(tmp_path, "acme").profile
    assert profile.required_hashtags == ["#Acme"] and profile.hashtags == ["#uno", "#due"]
    assert profile.all_languages == ["it", "en"]


def test_demo_brands_are_rich_and_valid():
    brands = {slug: load_brand(DEMO_BRANDS, slug) for slug in list_brand_slugs(DEMO_BRANDS)}
    assert len(brands) >= 3
    languages = {tuple(b.profile.all_languages) for b in brands.values()}
    assert ("it",) in languages and ("en",) in languages and any(len(lang) > 1 for lang in languages)
    for brand in brands.values():
        p = brand.profile
        assert p.do and p.dont and p.banned_words and p.hashtags and p.platforms, brand.slug
        assert brand.guideline_files, brand.slug
        parsed = parse_posts_csv(brand.posts_file.read_bytes(), brand=brand.slug, source="posts.csv")
        assert len(parsed.documents) >= 40 and not parsed.rejected and not parsed.warnings, brand.slug
        platforms = {d.metadata["platform"] for d in parsed.documents}
        assert len(platforms) >= 2 and platforms <= set(p.platforms), brand.slug
        assert all("engagement" in d.metadata for d in parsed.documents), brand.slug
        with brand.posts_file.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        posted_languages = {r["language"] for r in rows}
        assert posted_languages <= set(p.all_languages), brand.slug
