"""The one check for every image that enters the system or gets drawn by a kiosk.

Uploaded through the API, uploaded with the admin photo form, loaded with the demo data,
named by published content, served to a browser, or read from a kiosk's cache: every
path asks :func:`check_image` (or :func:`check_image_file`), and only bytes it accepts
are stored, served or drawn.

What passes: PNG, JPEG or WebP (the raster formats the kiosk's Kivy draws; decided by
the bytes, never by a declared type or file name), one frame, at most
:data:`MAX_MEDIA_BYTES` bytes, :data:`MAX_SIDE` pixels a side and :data:`MAX_PIXELS`
pixels in all. File size and pixel count are checked from the header *before* any pixel
is decoded; then the whole image is decoded once (a truncated or corrupt body is refused).
SVG, HTML, GIF, BMP, TIFF and anything else is refused.

:func:`shrink_photo` is the admin photo form's extra step: a camera photo (up to
:data:`MAX_SOURCE_PIXELS`, decoded at a reduced scale where JPEG allows) is turned
upright, scaled to at most :data:`PHOTO_SIDE` pixels and re-encoded without its metadata;
the result then goes through :func:`check_image` like everything else.

Pillow's own decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``) is set to
:data:`MAX_PIXELS` when this module is imported: a second wall for any other code in the
process that opens an image.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

__all__ = [
    "MAX_MEDIA_BYTES",
    "MAX_PIXELS",
    "MAX_SIDE",
    "MAX_SOURCE_PIXELS",
    "MIME_TYPES",
    "PHOTO_SIDE",
    "CheckedImage",
    "MediaRefused",
    "check_image",
    "check_image_file",
    "shrink_photo",
]

MAX_MEDIA_BYTES = 3_000_000
"""Largest file accepted (stored, served or drawn)."""

MAX_PIXELS = 4_000_000
"""Largest image (width × height) stored, served or drawn: 4 megapixels, 16 MB decoded."""

MAX_SIDE = 4096
"""Longest side in pixels (a texture a kiosk's GPU can hold)."""

MAX_SOURCE_PIXELS = 24_000_000
"""Largest camera photo the admin form shrinks on the server (never stored as it is)."""

PHOTO_SIDE = 1200
"""The admin form's photos are scaled to at most this many pixels a side."""

MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
"""The accepted formats (as Pillow names them) and the content type each is served with."""

_OPENERS: dict[str, type[ImageFile.ImageFile]] = {
    "PNG": PngImagePlugin.PngImageFile,
    "JPEG": JpegImagePlugin.JpegImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
}

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class MediaRefused(ValueError):
    """Why an image is not accepted (in Chinese, shown to the person who sent it)."""


@dataclass(frozen=True, slots=True)
class CheckedImage:
    """What :func:`check_image` found: the served content type and the size."""

    mime: str
    width: int
    height: int
    size: int


def _format_of(data: bytes) -> str | None:
    """The format the bytes themselves say (magic numbers), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _open(data: bytes, limit: int) -> ImageFile.ImageFile:
    """The image's header parsed (no pixel decoded yet), size checked against ``limit``."""
    if not data:
        raise MediaRefused("没有收到文件，请选择一张图片")
    fmt = _format_of(data)
    if fmt is None:
        raise MediaRefused(
            "这不是可以识别的图片文件：只能上传 PNG、JPEG 或 WebP 图片（按文件内容判断）"
        )
    try:
        # The plugin itself, not Image.open: it reads only the header and leaves the size
        # check to us (Image.open would apply the process-wide limit instead).
        image = _OPENERS[fmt](io.BytesIO(data))
    except Exception:
        raise MediaRefused("这不是可以识别的图片文件，请上传 PNG 或 JPEG 图片") from None
    width, height = image.size
    if width < 1 or height < 1 or max(width, height) > MAX_SIDE * 4 or width * height > limit:
        image.close()
        raise MediaRefused(f"图片尺寸过大（{width}×{height} 像素），疑似异常文件，已拒绝")
    if getattr(image, "n_frames", 1) != 1:
        image.close()
        raise MediaRefused("不接受动图，请上传一张静态图片")
    return image


def _decode(image: ImageFile.ImageFile) -> None:
    """Decode every pixel once; a truncated or corrupt body is a refusal."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "Truncated File Read": not a whole image
        try:
            image.load()
        except MediaRefused:
            raise
        except Exception:
            raise MediaRefused("图片文件已损坏或不完整，请重新上传") from None


def check_image(data: bytes) -> CheckedImage:
    """The verdict on image bytes: :class:`CheckedImage`, or :class:`MediaRefused`."""
    if len(data) > MAX_MEDIA_BYTES:
        raise MediaRefused(
            f"图片太大（{len(data) / 1e6:.1f} MB），最大 {MAX_MEDIA_BYTES / 1e6:.0f} MB"
        )
    image = _open(data, MAX_PIXELS)
    try:
        width, height = image.size
        if max(width, height) > MAX_SIDE:
            raise MediaRefused(f"图片边长过大（{width}×{height} 像素），最长 {MAX_SIDE} 像素")
        fmt = str(image.format)
        _decode(image)
        return CheckedImage(MIME_TYPES[fmt], width, height, len(data))
    finally:
        image.close()


def check_image_file(path: Path) -> CheckedImage:
    """:func:`check_image` for a file; its size is checked before it is read."""
    try:
        size = os.stat(path).st_size
        if size > MAX_MEDIA_BYTES:
            raise MediaRefused(f"图片太大（{size} 字节）")
        with open(path, "rb") as fh:
            data = fh.read(MAX_MEDIA_BYTES + 1)
    except OSError as exc:
        raise MediaRefused(f"图片文件读不出来：{exc.strerror or exc}") from None
    return check_image(data)


def shrink_photo(data: bytes, *, max_bytes: int = MAX_MEDIA_BYTES) -> tuple[bytes, CheckedImage]:
    """A camera photo made fit for the kiosk: upright, at most :data:`PHOTO_SIDE` pixels a
    side, re-encoded (JPEG, or PNG where there is transparency) with none of the original
    metadata (EXIF, GPS, ICC, comments). Returns the new bytes and their verdict."""
    if len(data) > max_bytes:
        raise MediaRefused(f"照片太大（{len(data) / 1e6:.1f} MB），最大 {max_bytes / 1e6:.0f} MB")
    image = _open(data, MAX_SOURCE_PIXELS)
    try:
        if isinstance(image, JpegImagePlugin.JpegImageFile):
            # Decode at 1/2, 1/4 or 1/8 scale where that still covers PHOTO_SIDE.
            image.draft("RGB", (PHOTO_SIDE, PHOTO_SIDE))
        _decode(image)
        upright = ImageOps.exif_transpose(image) or image
        upright.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
        has_alpha = upright.mode in ("RGBA", "LA") or (
            upright.mode == "P" and "transparency" in upright.info
        )
        clean = upright.convert("RGBA" if has_alpha else "RGB")
        clean.info = {}  # Pillow carries comments, ICC and EXIF over from ``info``
        out = io.BytesIO()
        if has_alpha:
            clean.save(out, "PNG", optimize=True)
        else:
            clean.save(out, "JPEG", quality=85, optimize=True)
    finally:
        image.close()
    cleaned = out.getvalue()
    return cleaned, check_image(cleaned)
