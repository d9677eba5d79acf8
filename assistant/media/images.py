"""Images for publishing: opened with Pillow (HEIC through pillow-heif when it is installed),
guarded against decompression bombs, turned upright (`ImageOps.exif_transpose`) and re-encoded
from their pixels only, so no EXIF, GPS, XMP or comment survives; and thumbnails.

Formats kept: JPEG stays JPEG, PNG stays PNG, WebP stays WebP (lossless if it was). HEIC, which
the platforms do not take, becomes JPEG. The colour profile (ICC) is kept: it says nothing
about the person or the place, and without it colours shift.
"""

from __future__ import annotations

import importlib.util
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from assistant.media.errors import MediaError

# Pillow's format name -> (the format we store, its MIME type, its file suffix)
STORED = {"JPEG": ("JPEG", "image/jpeg", "jpg"), "MPO": ("JPEG", "image/jpeg", "jpg"),
          "PNG": ("PNG", "image/png", "png"), "WEBP": ("WEBP", "image/webp", "webp"),
          "HEIF": ("JPEG", "image/jpeg", "jpg"), "AVIF": ("JPEG", "image/jpeg", "jpg")}
JPEG_QUALITY = 90


@dataclass(frozen=True)
class CleanImage:
    data: bytes  # the publishable file
    mime: str
    suffix: str
    width: int
    height: int


def heic_available() -> bool:
    """pillow-heif installed (the optional `heic` extra: `pip install copydesk[heic]`)?"""
    return importlib.util.find_spec("pillow_heif") is not None


def _register_heic() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


def open_image(data: bytes, *, name: str, max_pixels: int, heic: bool = False) -> Image.Image:
    """The image in `data`, fully decoded, or a `MediaError` saying why not (too many pixels, not
    an image Pillow can read, HEIC without pillow-heif)."""
    if heic:
        if not heic_available():
            raise MediaError(f"{name}: HEIC/HEIF photos need pillow-heif, which is not installed; install it "
                             "(`pip install copydesk[heic]`) or export the photo as JPEG", code="media_heic_unavailable",
                             name=name)
        _register_heic()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            pixels = image.width * image.height
            if pixels > max_pixels:
                raise MediaError(f"{name}: {image.width}x{image.height} is {pixels:,} pixels, more than the "
                                 f"{max_pixels:,} allowed (ASSISTANT_MEDIA_MAX_PIXELS); resize the image",
                                 code="media_too_many_pixels", name=name, width=image.width, height=image.height,
                                 max=max_pixels)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError(f"{name}: the image has too many pixels to open safely (ASSISTANT_MEDIA_MAX_PIXELS); "
                         "resize it", code="media_too_many_pixels", name=name, width=0, height=0,
                         max=max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"{name}: the file looks like an image but cannot be read ({exc}); export it again as "
                         "JPEG or PNG", code="media_unreadable", name=name) from None
    return image


def clean(image: Image.Image) -> CleanImage:
    """The image upright and re-encoded from its pixels: no metadata but the colour profile."""
    fmt, mime, suffix = STORED.get(image.format or "", ("JPEG", "image/jpeg", "jpg"))
    lossless = bool(image.format == "WEBP" and getattr(image, "info", {}).get("lossless"))
    icc = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    if upright.mode in ("P", "PA"):  # a fresh image would lose the palette
        upright = upright.convert("RGBA")
    pixels = Image.new(upright.mode, upright.size)
    pixels.paste(upright)  # a fresh image: nothing of the original's info, EXIF or XMP comes along
    if fmt == "JPEG" and pixels.mode not in ("RGB", "L"):
        pixels = pixels.convert("RGB")
        icc = None  # the profile described the other colour space (e.g. CMYK)
    options: dict[str, object] = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        options |= {"quality": JPEG_QUALITY, "optimize": True}
    elif fmt == "WEBP":
        options |= {"lossless": True} if lossless else {"quality": JPEG_QUALITY}
    elif fmt == "PNG":
        options |= {"optimize": True}
    out = io.BytesIO()
    pixels.save(out, format=fmt, **options)
    return CleanImage(out.getvalue(), mime, suffix, pixels.width, pixels.height)


def thumbnail(data: bytes, long_side: int) -> bytes:
    """A WebP thumbnail (at most `long_side` pixels on its long side) of a stored image."""
    with Image.open(io.BytesIO(data)) as image:
        small = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        small.thumbnail((long_side, long_side))
        out = io.BytesIO()
        small.save(out, format="WEBP", quality=80)
        return out.getvalue()
