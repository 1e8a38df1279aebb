"""The one image check (kiosk.core.media) on hostile files of each kind, directly: what
the server's every media path and the kiosk's photo loading rely on."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from kiosk.core import media


def encoded(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", **kw: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 120).save(out, fmt, **kw)
    return out.getvalue()


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) claims ``width`` × ``height``."""
    data = bytearray(encoded("JPEG", (16, 16)))
    at = data.index(b"\xff\xc0") + 5  # marker, length (2), precision (1): then height, width
    data[at : at + 4] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


@pytest.mark.parametrize(
    ("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_formats_the_kiosk_draws_pass(fmt: str, mime: str) -> None:
    checked = media.check_image(encoded(fmt))
    assert (checked.mime, checked.width, checked.height) == (mime, 64, 48)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "ICO"])
def test_other_raster_formats_are_refused(fmt: str) -> None:
    with pytest.raises(media.MediaRefused, match="只能上传 PNG、JPEG 或 WebP"):
        media.check_image(encoded(fmt, (32, 32)))


def test_header_bombs_are_refused_before_decoding() -> None:
    bomb = jpeg_claiming(60_000, 60_000)  # 3.6 gigapixels claimed in a few hundred bytes
    started = time.perf_counter()
    with pytest.raises(media.MediaRefused, match="60000×60000"):
        media.check_image(bomb)
    with pytest.raises(media.MediaRefused, match="60000×60000"):
        media.shrink_photo(bomb)
    assert time.perf_counter() - started < 0.5  # no pixel was decoded
    with pytest.raises(media.MediaRefused, match="图片尺寸过大"):
        media.check_image(jpeg_claiming(2100, 2100))  # 4.4 MP: over the kiosk's limit
    with pytest.raises(media.MediaRefused, match="边长过大"):
        media.check_image(encoded("PNG", (5000, 4), "1"))
    assert Image.MAX_IMAGE_PIXELS == media.MAX_PIXELS  # Pillow's own wall, for any caller


def test_broken_animated_and_oversized_files_are_refused() -> None:
    with pytest.raises(media.MediaRefused, match="损坏或不完整"):
        media.check_image(encoded("PNG", (400, 300))[:-40])
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 255, 0))]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:])
    with pytest.raises(media.MediaRefused, match="动图"):
        media.check_image(out.getvalue())
    with pytest.raises(media.MediaRefused, match="图片太大"):
        media.check_image(encoded("PNG") + b"\0" * media.MAX_MEDIA_BYTES)
    with pytest.raises(media.MediaRefused, match="没有收到文件"):
        media.check_image(b"")


def test_a_camera_photo_is_shrunk_cleaned_and_then_passes_the_same_check() -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    photo = encoded("JPEG", (4032, 3024), exif=exif)  # 12 megapixels, a phone camera
    cleaned, checked = media.shrink_photo(photo)
    assert b"SecretCam" not in cleaned
    assert (checked.mime, max(checked.width, checked.height)) == ("image/jpeg", 1200)
    assert media.check_image(cleaned) == checked
    with pytest.raises(media.MediaRefused):
        media.check_image(photo)  # as it came, too big for a kiosk
