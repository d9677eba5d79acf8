"""The media library: images and short videos per brand, recognised by content, stored once per
content hash without EXIF/GPS (`library`, `store`, `images`, `probe`), attached to review items in
order with alt text (`attachments`), and first alt texts to confirm (`alt`).

The public read API for publishing and the pages is `Attachments.list(item_id)` (or
`attachments(item_id, services=...)`): the item's files in order as `Attachment`s, each with the
absolute path of its publishable file, its thumbnail, size, dimensions and alt text.
"""

from __future__ import annotations

from typing import Any

from assistant.media.attachments import Attachments, preview
from assistant.media.errors import MediaError
from assistant.media.library import MediaLibrary
from assistant.media.schemas import Attachment, MediaPublic, PlannedAttachment


def attachments(item_id: int, *, services: Any) -> list[Attachment]:
    """The item's media in order (what a publisher uploads), from the app's services."""
    return services.attachments.list(item_id)


__all__ = ["Attachment", "Attachments", "MediaError", "MediaLibrary", "MediaPublic", "PlannedAttachment", "attachments",
           "preview"]
