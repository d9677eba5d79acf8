"""The one table of platform facts: limits, how each platform counts, link and hashtag rules,
the names people and exports use for a platform, and the web hosts its posts live on. Each rule
says where it comes from and when it was checked; settings can override any field but `name`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import ConfigError

Counting = Literal["weighted", "graphemes", "chars", "utf16", "chars_emoji_bytes"]
"""How a platform measures length:
- `weighted`: X / twitter-text v3. NFC; code points in the light ranges weigh 1, others 2; one
  emoji sequence weighs 2 in total; every link weighs `url_weight`.
- `graphemes`: extended grapheme clusters (what a reader sees as one character).
- `chars`: Unicode code points of the text as sent. The platform documents a number of
  "characters" without the unit; code points are our reading of it.
- `utf16`: UTF-16 code units: an emoji outside the BMP counts 2 (TikTok's "UTF-16 runes").
- `chars_emoji_bytes`: code points, but each emoji counts its UTF-8 bytes (Threads API).
"""


class PlatformRule(BaseModel):
    """One platform's publishing rules. Limits change: each rule says where it comes from and when
    it was checked; settings can override any field but `name` (see `get_rules`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: str
    limit: int = Field(gt=0)
    counting: Counting = "chars"
    url_weight: int | None = Field(default=None, ge=0, description="Every link counts this much.")
    url_needs_protocol: bool = Field(default=False, description="Only http(s):// links get url_weight.")
    max_bytes: int | None = Field(default=None, gt=0, description="UTF-8 bytes, on top of `limit`.")
    max_hashtags: int | None = Field(default=None, ge=0, description="More is an error.")
    max_topic_tags: int | None = Field(default=None, ge=0, description="More stay plain text (warning).")
    max_links: int | None = Field(default=None, ge=0, description="Distinct links; more is an error.")
    links_clickable: bool = True
    see_more_at: int | None = Field(default=None, gt=0, description="Characters shown before 'see more'.")
    see_more_at_mobile: int | None = Field(default=None, gt=0)
    source: str
    checked: str


_CHECKED = "2026-11"
RULES: tuple[PlatformRule, ...] = (
    PlatformRule(
        name="x", label="X", limit=280, counting="weighted", url_weight=23,
        source="docs.x.com 'Counting characters' (https://docs.x.com/fundamentals/counting-characters) and "
        "twitter-text config v3; longer posts only for paid accounts (override `limit`)", checked=_CHECKED),
    PlatformRule(
        name="linkedin", label="LinkedIn", limit=3000, see_more_at=210, see_more_at_mobile=140,
        source="Microsoft Learn, LinkedIn Posts API: commentary in 'little text format' "
        "(https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api); "
        "'see more' cut ~210 desktop / ~140 mobile per DESIGN.md", checked=_CHECKED),
    PlatformRule(
        name="instagram", label="Instagram", limit=2200, max_hashtags=5, links_clickable=False, see_more_at=125,
        source="Meta, IG User Media reference (caption 2,200); at most 5 hashtags since Dec 2025; "
        "links in captions not clickable; ~125 characters before 'more' (DESIGN.md)", checked=_CHECKED),
    PlatformRule(
        # Facebook truncates long posts in the feed but documents no character count for it.
        name="facebook", label="Facebook", limit=63206,
        source="DESIGN.md platform table (63,206 characters; feed truncation undocumented)", checked=_CHECKED),
    PlatformRule(
        name="threads", label="Threads", limit=500, counting="chars_emoji_bytes", max_topic_tags=1, max_links=5,
        source="Threads API, Posts (https://developers.facebook.com/docs/threads/posts): 500 characters, emoji "
        "count their UTF-8 bytes, one topic tag; at most 5 distinct links since 22 Dec 2025", checked=_CHECKED),
    PlatformRule(
        name="tiktok", label="TikTok", limit=2200, counting="utf16", links_clickable=False,
        source="TikTok Content Posting API, Direct Post (https://developers.tiktok.com/doc/"
        "content-posting-api-reference-direct-post): video caption 2,200 UTF-16 runes; photo posts: "
        "title 90, description 4,000", checked=_CHECKED),
    PlatformRule(
        name="bluesky", label="Bluesky", limit=300, counting="graphemes", max_bytes=3000,
        source="Bluesky docs, app.bsky.feed.post lexicon: text maxGraphemes 300, maxLength 3,000 (bytes) "
        "(https://docs.bsky.app/docs/advanced-guides/post-richtext)", checked=_CHECKED),
    PlatformRule(
        # The server counts grapheme clusters (app/validators/status_length_validator.rb) and replaces
        # each http(s) link by 23 characters; remote mentions count only "@user" (not modelled: we
        # over-count them, the safe side).
        name="mastodon", label="Mastodon", limit=500, counting="graphemes", url_weight=23, url_needs_protocol=True,
        source="Mastodon instance config: configuration.statuses.max_characters (500 by default) and "
        "characters_reserved_per_url 23 (https://docs.joinmastodon.org/entities/Instance/)", checked=_CHECKED),
)
PLATFORMS: tuple[str, ...] = tuple(rule.name for rule in RULES)
_DEFAULTS = {rule.name: rule for rule in RULES}


def get_rules(overrides: dict[str, dict] | None = None) -> dict[str, PlatformRule]:
    """All rules by platform name, with `overrides` such as `{"mastodon": {"limit": 1000}}` applied."""
    rules = dict(_DEFAULTS)
    for platform, fields in (overrides or {}).items():
        if platform not in rules:
            raise ConfigError(f"unknown platform '{platform}' in platform overrides: use one of {', '.join(PLATFORMS)}")
        if not isinstance(fields, dict):
            raise ConfigError(f"platform overrides for '{platform}' must be a mapping such as {{\"limit\": 1000}}")
        for key in fields:
            if key == "name" or key not in PlatformRule.model_fields:
                allowed = ", ".join(k for k in PlatformRule.model_fields if k != "name")
                raise ConfigError(f"unknown field '{key}' in the overrides for '{platform}': use one of {allowed}")
        try:
            rules[platform] = PlatformRule.model_validate({**rules[platform].model_dump(), **fields})
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise ConfigError(f"platform override '{platform}.{field}': {err['msg']}") from exc
    return rules


def rule_for(platform: str, rules: dict[str, PlatformRule] | None) -> PlatformRule:
    table = rules if rules is not None else _DEFAULTS
    try:
        return table[platform.strip().lower()]
    except KeyError:
        raise ConfigError(f"unknown platform '{platform}': use one of {', '.join(sorted(table))}") from None


# What exports and people call a platform (lower case) -> our name.
ALIASES: dict[str, str] = {
    "twitter": "x", "x": "x", "tweet": "x", "x (twitter)": "x",
    "linkedin": "linkedin", "li": "linkedin",
    "instagram": "instagram", "ig": "instagram", "insta": "instagram",
    "facebook": "facebook", "fb": "facebook", "meta": "facebook",
    "threads": "threads", "tiktok": "tiktok", "bluesky": "bluesky", "bsky": "bluesky",
    "mastodon": "mastodon",
}
# The web hosts a platform's post URLs live on (after `www.`/`m.` are dropped) and host aliases.
HOSTS: dict[str, str] = {"instagram.com": "instagram", "facebook.com": "facebook", "x.com": "x",
                         "linkedin.com": "linkedin", "threads.net": "threads", "tiktok.com": "tiktok",
                         "bsky.app": "bluesky"}
HOST_ALIASES: dict[str, str] = {"twitter.com": "x.com", "fb.com": "facebook.com", "instagr.am": "instagram.com",
                                "threads.com": "threads.net"}


def normalize_platform(value: str) -> str:
    """A platform name as written in a file ("Twitter", "IG") -> ours ("x", "instagram"); unknown
    names are returned lower-cased."""
    key = value.strip().lower()
    return ALIASES.get(key, key)


def label(platform: str, rules: dict[str, PlatformRule] | None = None) -> str:
    """The platform's display name ("LinkedIn"); the slug itself for an unknown platform."""
    rule = (rules if rules is not None else _DEFAULTS).get(platform)
    return rule.label if rule else platform
