"""Staff photos: check an upload really is a reasonable image, then re-encode it.

Refused: anything Pillow cannot identify, files over :data:`MAX_PHOTO_BYTES`, images
over :data:`MAX_PIXELS` (decompression bombs: checked from the header, before any pixel
is decoded). Accepted images are turned upright, scaled to at most
:data:`MAX_SIDE` pixels and re-encoded (JPEG, or PNG where there is transparency)
without any of the original metadata (EXIF, GPS, ICC, comments).
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["MAX_PHOTO_BYTES", "MAX_PIXELS", "PhotoRefused", "clean_photo"]

MAX_PHOTO_BYTES = 3_000_000
MAX_PIXELS = 30_000_000  # 30 megapixels: more than any phone camera
MAX_SIDE = 1200
_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP")


class PhotoRefused(ValueError):
    """Why an upload is not accepted (shown to the person, in Chinese)."""


def clean_photo(data: bytes) -> tuple[bytes, str]:
    """(re-encoded bytes, MIME type) of an uploaded photo, or :class:`PhotoRefused`."""
    if not data:
        raise PhotoRefused("没有收到文件，请选择一张照片")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused(
            f"照片太大（{len(data) / 1e6:.1f} MB），最大 {MAX_PHOTO_BYTES / 1e6:.0f} MB"
        )
    with warnings.catch_warnings():
        # A DecompressionBombWarning is a refusal here, not a warning.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in _FORMATS:
                    raise PhotoRefused("只能上传 JPEG、PNG、GIF、WebP 或 BMP 照片")
                width, height = probe.size
                if width * height > MAX_PIXELS or width > 20000 or height > 20000:
                    raise PhotoRefused(
                        f"图片尺寸过大（{width}×{height} 像素），疑似异常文件，已拒绝"
                    )
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = ImageOps.exif_transpose(image) or image
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                has_alpha = image.mode in ("RGBA", "LA") or (
                    image.mode == "P" and "transparency" in image.info
                )
                out = io.BytesIO()
                clean = image.convert("RGBA" if has_alpha else "RGB")
                # Pillow carries comments, ICC and EXIF over from ``info``; drop them all.
                clean.info = {}
                if has_alpha:
                    clean.save(out, "PNG", optimize=True)
                    return out.getvalue(), "image/png"
                clean.save(out, "JPEG", quality=85, optimize=True)
                return out.getvalue(), "image/jpeg"
        except PhotoRefused:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise PhotoRefused("图片尺寸过大，疑似异常文件，已拒绝") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise PhotoRefused("这不是可以识别的图片文件，请上传 JPEG 或 PNG 照片") from None
