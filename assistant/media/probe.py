"""What a file is, from its content (never its name): JPEG, PNG, WebP, HEIC/HEIF images and MP4
videos, by their magic bytes (an ISO BMFF file by its `ftyp` box and brands); and the cheap facts
of an MP4 (duration, frame size) read from its `moov` box without decoding anything."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Literal

Kind = Literal["image", "video"]

# ISO BMFF brands (ISO/IEC 14496-12 and -14, 3GPP, HEIF ISO/IEC 23008-12).
MP4_BRANDS = frozenset({"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9", "mp41", "mp42",
                        "mp71", "avc1", "dash", "M4V ", "M4VP", "mmp4", "MSNV", "XAVC", "f4v "})
HEIF_BRANDS = frozenset({"heic", "heix", "heim", "heis", "hevc", "hevx", "heif", "mif1", "msf1"})
OTHER_BMFF = {"qt  ": "QuickTime (.mov)", "avif": "AVIF", "avis": "AVIF", "3gp4": "3GP", "3gp5": "3GP",
              "3g2a": "3GP2", "crx ": "Canon RAW"}


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes say: the kind and MIME type, or only a name for a format we refuse."""

    kind: Kind | None
    mime: str | None
    name: str  # "JPEG", "MP4", "QuickTime (.mov)", "unknown"


def sniff(head: bytes) -> Sniffed:
    """The format of a file from its first 64 bytes."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "image/jpeg", "JPEG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "image/png", "PNG")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "image/webp", "WebP")
    if head[4:8] == b"ftyp" and len(head) >= 16:
        size = struct.unpack(">I", head[:4])[0]
        brands = [head[8:12]] + [head[i:i + 4] for i in range(16, min(size, len(head)) - 3, 4)]
        names = [b.decode("latin-1") for b in brands]
        major = names[0]
        if major in HEIF_BRANDS or (major not in MP4_BRANDS and HEIF_BRANDS & set(names[1:])
                                    and major not in OTHER_BMFF):
            return Sniffed("image", "image/heic", "HEIC")
        if major in OTHER_BMFF:
            return Sniffed(None, None, OTHER_BMFF[major])
        if major in MP4_BRANDS or MP4_BRANDS & set(names[1:]):
            return Sniffed("video", "video/mp4", "MP4")
        return Sniffed(None, None, f"ISO media ({major.strip() or '?'})")
    for magic, name in ((b"GIF8", "GIF"), (b"%PDF", "PDF"), (b"BM", "BMP"), (b"II*\x00", "TIFF"),
                        (b"MM\x00*", "TIFF"), (b"\x1aE\xdf\xa3", "WebM/Matroska")):
        if head.startswith(magic):
            return Sniffed(None, None, name)
    return Sniffed(None, None, "unknown")


@dataclass(frozen=True)
class VideoFacts:
    duration: float | None  # seconds
    width: int | None
    height: int | None


def _boxes(f: BinaryIO, start: int, end: int):
    """(type, payload start, payload end) of the boxes between `start` and `end`."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header)
        body = pos + 8
        if size == 1:  # a 64-bit size follows
            large = f.read(8)
            if len(large) < 8:
                return
            size = struct.unpack(">Q", large)[0]
            body = pos + 16
        elif size == 0:  # to the end of the file
            size = end - pos
        if size < body - pos or pos + size > end:
            return
        yield kind.decode("latin-1"), body, pos + size
        pos += size


def mp4_facts(f: BinaryIO, length: int) -> VideoFacts:
    """Duration (from `moov/mvhd`) and frame size (from the first video track's `tkhd`): cheap
    reads of a few boxes; anything missing or odd is None (the file is still stored as it is)."""
    duration = width = height = None
    moov = next(((s, e) for kind, s, e in _boxes(f, 0, length) if kind == "moov"), None)
    if moov is None:
        return VideoFacts(None, None, None)
    for kind, s, e in _boxes(f, *moov):
        if kind == "mvhd":
            f.seek(s)
            body = f.read(min(e - s, 32))
            if body[:1] == b"\x01" and len(body) >= 32:
                scale, length_units = struct.unpack(">IQ", body[20:32])
            elif len(body) >= 20:
                scale, length_units = struct.unpack(">II", body[12:20])
            else:
                continue
            duration = round(length_units / scale, 3) if scale else None
        elif kind == "trak" and width is None:
            width, height = _video_track_size(f, s, e)
    return VideoFacts(duration, width, height)


def _video_track_size(f: BinaryIO, start: int, end: int) -> tuple[int | None, int | None]:
    size: tuple[int | None, int | None] = (None, None)
    video = False
    for kind, s, e in _boxes(f, start, end):
        if kind == "tkhd" and e - s >= 84:
            f.seek(e - 8)
            w, h = struct.unpack(">II", f.read(8))
            size = (w >> 16 or None, h >> 16 or None)
        elif kind == "mdia":
            for sub, ss, se in _boxes(f, s, e):
                if sub == "hdlr" and se - ss >= 12:
                    f.seek(ss + 8)
                    video = f.read(4) == b"vide"
    return size if video else (None, None)
