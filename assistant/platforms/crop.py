"""What the feed shows of an image: the crop each platform applies to a single image in a
timeline, as data, and the cropped thumbnail for previews (Pillow).

An approximation, said as such in the UI: platforms change their feeds and differ between the
app and the web. The ratios are width/height; an image wider than `max_ratio` is cut at the
sides, one taller than `min_ratio` at the top and bottom, around the centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image


@dataclass(frozen=True)
class FeedCrop:
    min_ratio: float
    max_ratio: float
    source: str
    checked: str = "2026-12-02"


FEED_CROPS: dict[str, FeedCrop] = {
    # The Graph API accepts 4:5 to 1.91:1; the feed shows the image whole within that range.
    "instagram": FeedCrop(0.8, 1.91, "Meta, Instagram Content Publishing: aspect ratio 4:5 to 1.91:1"),
    # One image in the timeline: the preview box is 16:9 (tap to see it whole).
    "x": FeedCrop(16 / 9, 16 / 9, "X web timeline, single-image preview 16:9 (observed; not documented)"),
    # Mastodon's web app shows a single image whole up to a ratio, then crops (observed; not documented).
    "mastodon": FeedCrop(0.5, 2.0, "Mastodon web app, single-image preview (observed; not documented)"),
    # Bluesky shows a single image whole, taller ones cut (observed; not documented).
    "bluesky": FeedCrop(0.75, 4.0, "Bluesky app, single image (observed; not documented)"),
    "linkedin": FeedCrop(0.8, 1.91, "LinkedIn feed image (observed; not documented)"),
    "facebook": FeedCrop(0.8, 1.91, "Facebook feed image (observed; not documented)"),
    "threads": FeedCrop(0.75, 1.91, "Threads feed image (observed; not documented)"),
}


def crop_box(platform: str, width: int, height: int) -> tuple[int, int, int, int]:
    """The part (left, top, right, bottom) of a `width` x `height` image the feed shows; the
    whole image for a platform without a known crop."""
    rule = FEED_CROPS.get(platform)
    if rule is None or width <= 0 or height <= 0:
        return (0, 0, width, height)
    ratio = width / height
    if ratio > rule.max_ratio:
        shown = round(height * rule.max_ratio)
        left = (width - shown) // 2
        return (left, 0, left + shown, height)
    if ratio < rule.min_ratio:
        shown = round(width / rule.min_ratio)
        top = (height - shown) // 2
        return (0, top, width, top + shown)
    return (0, 0, width, height)


def preview(platform: str, path: Path, long_side: int = 320) -> Image.Image:
    """The image at `path` as the platform's feed would show it (cropped), at most `long_side`
    pixels on its long side: an approximation (see `FEED_CROPS` for each source)."""
    with Image.open(path) as image:
        shown = image.crop(crop_box(platform, image.width, image.height))
        shown.thumbnail((long_side, long_side))
        return shown.copy()
