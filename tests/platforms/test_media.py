"""The platform media rules (data with sources) and `check_media`, one violation at a time, and
the feed crop of previews."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PIL import Image

from assistant.brands import BrandProfile
from assistant.platforms import check_media, media_rules
from assistant.platforms.crop import crop_box, preview


@dataclass
class M:
    position: int = 0
    kind: str = "image"
    bytes: int = 100_000
    width: int | None = 1080
    height: int | None = 1080
    duration: float | None = None
    alt_text: str | None = "Un maglione rosso"
    alt_source: str | None = "human"


def brand(**fields) -> BrandProfile:
    return BrandProfile(slug="b", name="B", language="it", voice="Chiaro.", **fields)


def codes(violations):
    return [(v.code, v.severity) for v in violations]


def test_every_rule_has_a_source_and_a_date():
    rules = media_rules()
    assert {"mastodon", "bluesky", "x", "instagram"} <= set(rules)
    assert rules["mastodon"].alt_max == 1500 and rules["bluesky"].max_images == 4
    assert rules["bluesky"].max_image_bytes == 1_000_000 and rules["instagram"].requires_media
    for rule in rules.values():
        assert rule.source.strip() and rule.checked.startswith("2026")


def test_clean_post_has_no_violation():
    assert check_media("mastodon", [M(0), M(1)], brand()) == []


def test_each_violation():
    assert codes(check_media("instagram", [], brand())) == [("media_required", "warning")]
    five = [M(i) for i in range(5)]
    assert ("too_many_images", "error") in codes(check_media("bluesky", five))
    mixed = [M(0), M(1, kind="video", duration=10)]
    assert codes(check_media("mastodon", mixed)) == [("media_mixed", "error")]
    assert check_media("instagram", mixed) == []  # carousels mix
    assert codes(check_media("bluesky", [M(0, bytes=1_500_000)])) == [("media_too_big", "error")]
    assert codes(check_media("bluesky", [M(0, kind="video", duration=400)])) == [("video_too_long", "error")]
    wide = check_media("instagram", [M(0, width=3000, height=1000)])
    assert codes(wide) == [("aspect_out_of_range", "error")] and wide[0].params["ratio"] == 3.0
    assert "1,91" in wide[0].message("it") or "1.91" in wide[0].message("it")
    long_alt = check_media("mastodon", [M(0, alt_text="a" * 1501)])
    assert codes(long_alt) == [("alt_too_long", "error")] and long_alt[0].params == {
        "platform": "Mastodon", "n": 1, "count": 1501, "max": 1500}
    assert "1500" in long_alt[0].message("en") and "media 1" in long_alt[0].message("it")
    emoji_alt = "👩‍👩‍👧" * 1800  # 1,800 graphemes: within Bluesky's 2,000 (it counts graphemes)
    assert check_media("bluesky", [M(0, alt_text=emoji_alt)]) == []
    assert codes(check_media("x", [M(0, alt_text=emoji_alt)])) == [("alt_too_long", "error")]


@pytest.mark.parametrize("profile, severity", [(brand(style_rules=["pa-it"]), "error"),
                                               (brand(alt_text="required"), "error"),
                                               (brand(), "warning"),
                                               (brand(style_rules=["pa-it"], alt_text="optional"), "warning")])
def test_alt_text_required_by_the_brand(profile, severity):
    missing = check_media("mastodon", [M(0, alt_text=None, alt_source=None)], profile)
    assert codes(missing) == [("alt_missing", severity)]
    proposal = check_media("mastodon", [M(0, alt_source="proposal")], profile)
    assert codes(proposal) == [("alt_unconfirmed", severity)]
    assert check_media("mastodon", [M(0)], profile) == []


def test_pa_it_defaults_to_alt_text_required():
    assert brand(style_rules=["pa-it"]).alt_text_required and not brand().alt_text_required


def test_feed_crop(tmp_path):
    assert crop_box("instagram", 3000, 1000) == (545, 0, 2455, 1000)  # cut at the sides to 1.91:1 (1,910 wide)
    assert crop_box("instagram", 1000, 2000) == (0, 375, 1000, 1625)  # cut top and bottom to 4:5
    assert crop_box("instagram", 1080, 1080) == (0, 0, 1080, 1080)
    assert crop_box("x", 1000, 1000) == (0, 219, 1000, 781)  # the 16:9 single-image preview
    assert crop_box("unknown", 10, 20) == (0, 0, 10, 20)
    path = tmp_path / "tall.png"
    Image.new("RGB", (400, 1000), (3, 3, 3)).save(path)
    shown = preview("instagram", path, long_side=100)
    assert shown.size == (80, 100)  # 4:5 after the crop, thumbnailed
