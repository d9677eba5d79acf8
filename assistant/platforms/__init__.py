"""Platforms: the one table of platform facts (`rules`), counting as each platform counts
(`counting`), the checks of a draft returning typed `Violation`s (`checks`), the media rules and
their checks (`media`), and the feed crop of images (`crop`, imported on its own: it needs Pillow)."""

from assistant.platforms.checks import (Violation, as_violations, find_phrases, has_errors, language_name,
                                        validate)
from assistant.platforms.counting import count, emojis, hashtags, links, see_more_preview
from assistant.platforms.media import MediaRule, check_media, media_rule, media_rules
from assistant.platforms.rules import (ALIASES, HOST_ALIASES, HOSTS, PLATFORMS, RULES, PlatformRule, get_rules,
                                       label, normalize_platform, rule_for)

__all__ = ["ALIASES", "HOSTS", "HOST_ALIASES", "MediaRule", "PLATFORMS", "RULES", "PlatformRule", "Violation",
           "as_violations", "check_media", "count", "media_rule", "media_rules", "emojis", "find_phrases", "get_rules", "has_errors", "hashtags", "label",
           "language_name", "links", "normalize_platform", "rule_for", "see_more_preview", "validate"]
