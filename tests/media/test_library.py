"""The media library on a real SQLite database and real files in a temp home: recognition by
content, EXIF/GPS stripped, originals only on request, limits, dedup, crash-safe writes."""

from __future__ import annotations

import pytest
from PIL import Image

from assistant.accounts.permissions import PermissionDenied
from assistant.media import MediaError, MediaLibrary
from assistant.media.images import heic_available
from assistant.media.probe import sniff
from tests.media.helpers import GPS_IFD, jpeg_with_gps, mp4, png, webp


@pytest.fixture
def library(sqlite_queue, tmp_path):
    return MediaLibrary(sqlite_queue, tmp_path / "home", max_image_bytes=200_000, max_video_bytes=300_000,
                        max_pixels=1_000_000, thumbnail_px=32)


def test_jpeg_is_stored_without_exif_or_gps_and_upright(library, tmp_path):
    data = jpeg_with_gps(size=(64, 48), orientation=6)  # 6: rotate 90° clockwise to view
    with Image.open(__import__("io").BytesIO(data)) as raw:
        assert raw.getexif().get_ifd(GPS_IFD)  # the upload does carry GPS
    media = library.add("lana", data, by="Ada", name="IMG_0001.jpg")
    assert media.kind == "image" and media.mime == "image/jpeg" and media.brand == "lana"
    assert (media.width, media.height) == (48, 64)  # the orientation was applied before stripping
    stored = media.path.read_bytes()
    assert b"SecretCam" not in stored and b"Exif" not in stored
    with Image.open(media.path) as image:
        assert not image.getexif() and "exif" not in image.info and "xmp" not in image.info
    assert media.path.is_relative_to(tmp_path / "home" / "media") and media.original_path is None
    assert media.thumbnail_path is not None and max(Image.open(media.thumbnail_path).size) <= 32
    assert not list((tmp_path / "home" / "media").rglob("*.orig.*"))  # the original was not kept


def test_original_kept_only_when_asked(library):
    data = jpeg_with_gps()
    media = library.add("lana", data, by="Ada", name="gita.jpg", keep_original=True)
    assert media.original_path is not None and media.original_path.read_bytes() == data
    assert b"SecretCam" not in media.path.read_bytes()


def test_recognised_by_content_not_name(library, tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(png())
    media = library.add("lana", fake, by="Ada")
    assert media.mime == "image/png" and media.path.suffix == ".png" and media.original_name == "photo.jpg"
    assert library.add("lana", webp(), by="Ada", name="x.webp").mime == "image/webp"
    text = tmp_path / "notes.png"
    text.write_text("just some text, not a picture\n" * 3)
    with pytest.raises(MediaError) as refused:
        library.add("lana", text, by="Ada")
    assert refused.value.code == "media_unknown_type" and "notes.png" in str(refused.value)
    assert "JPEG, PNG" in refused.value.localised("en") and "esportalo" in refused.value.localised("it")
    assert sniff(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ").name == "QuickTime (.mov)"


def test_same_bytes_stored_once_per_brand(library):
    data = png(color=(1, 1, 1))
    first = library.add("lana", data, by="Ada", name="a.png")
    again = library.add("lana", data, by="Bea", name="b.png")
    other = library.add("paycairn", data, by="Ada", name="a.png")
    assert again.existing and again.id == first.id and not first.existing
    assert other.id != first.id and other.path == first.path  # one file on disk for both brands
    assert [m.id for m in library.list("lana")] == [first.id]
    files = [p for p in first.path.parent.iterdir() if not p.name.startswith(".")]
    assert sorted(p.name.split(".", 1)[1] for p in files) == ["png", "thumb.webp"]


def test_size_and_pixel_limits(library):
    big = b"\xff\xd8\xff" + bytes(250_000)
    with pytest.raises(MediaError) as refused:
        library.add("lana", big, by="Ada", name="huge.jpg")
    assert refused.value.code == "media_too_big_image" and "ASSISTANT_MEDIA_MAX_IMAGE_BYTES" in str(refused.value)
    bomb = png(size=(2000, 1000))  # 2,000,000 pixels, a tiny file
    with pytest.raises(MediaError) as refused:
        library.add("lana", bomb, by="Ada", name="bomb.png")
    assert refused.value.code == "media_too_many_pixels"
    assert library.list("lana") == []


def test_mp4_stored_as_is_with_duration_and_size(library):
    data = mp4(seconds=12.5, width=640, height=360)
    media = library.add("lana", data, by="Ada", name="clip.mp4")
    assert media.kind == "video" and media.mime == "video/mp4" and media.path.read_bytes() == data
    assert media.duration == 12.5 and (media.width, media.height) == (640, 360)
    with pytest.raises(MediaError) as refused:
        library.add("lana", mp4()[:40] + bytes(400_000), by="Ada", name="long.mp4")
    assert refused.value.code == "media_too_big_video"


def test_heic(library, monkeypatch):
    import assistant.media.images as images

    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)
    monkeypatch.setattr(images, "heic_available", lambda: False)
    with pytest.raises(MediaError) as refused:
        library.add("lana", heic, by="Ada", name="iphone.heic")
    assert refused.value.code == "media_heic_unavailable" and "pillow-heif" in str(refused.value)
    monkeypatch.undo()
    if not heic_available():
        pytest.skip("pillow-heif not installed (the optional `heic` extra)")
    import io

    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (9, 99, 199)).save(out, format="HEIF")
    media = library.add("lana", out.getvalue(), by="Ada", name="iphone.heic")
    assert media.mime == "image/jpeg" and (media.width, media.height) == (32, 24)


def test_uploading_needs_the_library_right(library, sqlite_queue):
    root = sqlite_queue.people.actor("root")
    sqlite_queue.people.add("vera", name="Vera Viewer", grants=[("viewer", "lana")], by=root)
    with pytest.raises(PermissionDenied):
        library.add("lana", png(), by="vera", name="a.png")
    assert library.list("lana", actor="vera") == []  # a viewer may look
    with pytest.raises(PermissionDenied):
        library.list("paycairn", actor="vera")


def test_a_crash_before_the_row_leaves_no_row(library, monkeypatch):
    def boom(values):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(library, "_insert", boom)
    with pytest.raises(RuntimeError):
        library.add("lana", png(color=(5, 5, 5)), by="Ada", name="a.png")
    monkeypatch.undo()
    assert library.list("lana") == []  # a file without a row: harmless, reused next time
    media = library.add("lana", png(color=(5, 5, 5)), by="Ada", name="a.png")
    assert media.path.is_file() and not media.existing
    assert not [p for p in library.files.root.rglob(".*") if p.is_file()]  # no temporary file left


def test_two_uploads_of_the_same_bytes_at_once_make_one_row(library, monkeypatch):
    first = {"done": False}
    real = library._existing

    def not_yet(brand, sha):  # the other upload's row lands between our check and our insert
        if not first["done"]:
            first["done"] = True
            return None
        return real(brand, sha)

    winner = library.add("lana", png(color=(9, 9, 9)), by="Bea", name="a.png")
    monkeypatch.setattr(library, "_existing", not_yet)
    loser = library.add("lana", png(color=(9, 9, 9)), by="Ada", name="a.png")
    assert loser.existing and loser.id == winner.id and len(library.list("lana")) == 1
