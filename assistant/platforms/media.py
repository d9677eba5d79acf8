"""Platform media rules as data (`data/media.yaml`: how many images and videos, mixing, sizes,
video length, aspect ratio, alt-text length, whether a post needs media; each with its source
and date), and `check_media`: the attached media of a post against them, as typed `Violation`s.

The media are anything with the fields of `MediaFacts` (an `assistant.media.Attachment` is one),
so this table stays below the media package and any check (review, drafting, publishing) can
call it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Literal, Protocol

import regex
import yaml
from pydantic import BaseModel, ConfigDict, Field

from assistant.brands import BrandProfile
from assistant.platforms.checks import Violation
from assistant.platforms.rules import label

DATA = Path(__file__).resolve().parent / "data" / "media.yaml"


class MediaRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_images: int = Field(ge=0)
    max_videos: int = Field(ge=0)
    max_items: int = Field(ge=0)
    mix: bool
    max_image_bytes: int | None = None
    max_video_bytes: int | None = None
    max_video_seconds: float | None = None
    image_aspect: tuple[float, float] | None = None
    alt_max: int | None = None
    alt_counting: Literal["chars", "graphemes"] = "chars"
    requires_media: bool = False
    alt_supported: bool = True
    source: str
    checked: str
    unconfirmed: list[str] = Field(default_factory=list)


class MediaFacts(Protocol):
    """What the checks read of an attached file."""

    position: int
    kind: str
    bytes: int
    width: int | None
    height: int | None
    duration: float | None
    alt_text: str | None
    alt_source: str | None


@cache
def media_rules() -> dict[str, MediaRule]:
    """Every platform's media rule (read once from `data/media.yaml`)."""
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return {name: MediaRule.model_validate(fields) for name, fields in raw.items()}


def media_rule(platform: str) -> MediaRule | None:
    return media_rules().get(platform.strip().lower())


def alt_length(text: str, counting: str) -> int:
    return len(regex.findall(r"\X", text)) if counting == "graphemes" else len(text)


def check_media(platform: str, media: Sequence[MediaFacts], brand: BrandProfile | None = None) -> list[Violation]:
    """The rules `media` (in the post's order) break on `platform`, and the brand's alt-text
    rule (`alt_text: required`, the default for `style_rules: [pa-it]`). Nothing is changed."""
    rule = media_rule(platform)
    name = label(platform)

    def v(code: str, severity: Literal["error", "warning"] = "error", **values: str | int | float) -> Violation:
        return Violation(code=code, severity=severity, params={"platform": name, **values}, platform=platform)

    out: list[Violation] = []
    if rule is None:
        return out
    if rule.requires_media and not media:
        # A warning: the network refuses such a post, but a caption is often approved before its
        # image is chosen (in the scheduling tool it is exported to); it must not block approval.
        out.append(v("media_required", "warning"))
    out.extend(_counts(rule, media, v))
    for m in media:
        out.extend(_one(rule, m, v))
    required = brand is not None and brand.alt_text_required
    for m in media:
        n = m.position + 1
        if not (m.alt_text or "").strip():
            if rule.alt_supported or required:
                out.append(v("alt_missing", "error" if required else "warning", n=n))
        elif m.alt_source == "proposal":
            out.append(v("alt_unconfirmed", "error" if required else "warning", n=n))
    return out


def _counts(rule: MediaRule, media: Sequence[MediaFacts], v) -> list[Violation]:
    out = []
    images = sum(1 for m in media if m.kind == "image")
    videos = sum(1 for m in media if m.kind == "video")
    if images and videos and not rule.mix:
        out.append(v("media_mixed", images=images, videos=videos))
    if images > rule.max_images:
        out.append(v("too_many_images", count=images, max=rule.max_images))
    if videos > rule.max_videos:
        out.append(v("too_many_videos", count=videos, max=rule.max_videos))
    if len(media) > rule.max_items and images <= rule.max_images and videos <= rule.max_videos:
        out.append(v("too_many_media", count=len(media), max=rule.max_items))
    return out


def _one(rule: MediaRule, m: MediaFacts, v) -> list[Violation]:
    out = []
    n = m.position + 1
    limit = rule.max_image_bytes if m.kind == "image" else rule.max_video_bytes
    if limit is not None and m.bytes > limit:
        out.append(v("media_too_big", n=n, size=_mb(m.bytes), max=_mb(limit)))
    if m.kind == "video" and rule.max_video_seconds is not None and m.duration is not None \
            and m.duration > rule.max_video_seconds:
        out.append(v("video_too_long", n=n, seconds=round(m.duration), max=round(rule.max_video_seconds)))
    if m.kind == "image" and rule.image_aspect is not None and m.width and m.height:
        ratio = m.width / m.height
        low, high = rule.image_aspect
        if not low <= ratio <= high:
            out.append(v("aspect_out_of_range", n=n, ratio=round(ratio, 2), min=low, max=high))
    if m.alt_text and rule.alt_max is not None:
        length = alt_length(m.alt_text, rule.alt_counting)
        if length > rule.alt_max:
            out.append(v("alt_too_long", n=n, count=length, max=rule.alt_max))
    return out


def _mb(size: int) -> float:
    return round(size / 1_000_000, 1)
