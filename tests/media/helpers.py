"""Real files for the media tests, made here with Pillow and by hand (an MP4 from its boxes)."""

from __future__ import annotations

import io
import struct

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_gps(size=(64, 48), orientation: int = 1) -> bytes:
    """A JPEG carrying EXIF with a camera model, an orientation and GPS coordinates."""
    image = Image.new("RGB", size, (200, 40, 40))
    image.paste((20, 20, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: orientation shows
    exif = Image.Exif()
    exif[0x0110] = "SecretCam 9000"  # Model
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (45.0, 42.0, 30.0), 3: "E", 4: (11.0, 21.0, 10.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(size=(40, 30), color=(10, 160, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def webp(size=(30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, format="WEBP", lossless=True)
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(seconds: float = 12.5, width: int = 640, height: int = 360, timescale: int = 1000) -> bytes:
    """A minimal ISO BMFF file: `ftyp` (isom, mp42) and a `moov` with `mvhd` and one video `trak`
    (`tkhd` with the frame size, `mdia/hdlr` of type `vide`), then an empty `mdat`. Built from
    ISO/IEC 14496-12's box layouts; it has no frames to decode, which the library never does."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isom" + b"iso2" + b"mp42")
    mvhd = _box(b"mvhd", bytes(4) + struct.pack(">IIII", 0, 0, timescale, int(seconds * timescale)) + bytes(80))
    tkhd_body = bytes(4) + bytes(20) + bytes(8) + bytes(8) + bytes(36) + struct.pack(">II", width << 16, height << 16)
    tkhd = _box(b"tkhd", tkhd_body)
    hdlr = _box(b"hdlr", bytes(4) + bytes(4) + b"vide" + bytes(12) + b"VideoHandler\x00")
    trak = _box(b"trak", tkhd + _box(b"mdia", hdlr))
    return ftyp + _box(b"moov", mvhd + trak) + _box(b"mdat", b"")
