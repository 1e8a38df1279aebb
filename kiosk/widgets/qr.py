"""A QR code drawn from a URL (qrcode's matrix → a nearest-neighbour texture)."""

from __future__ import annotations

import qrcode
from kivy.graphics.texture import Texture
from kivy.properties import StringProperty
from kivy.uix.image import Image

__all__ = ["QRImage", "qr_matrix"]


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR modules of ``data`` (medium error correction, 4-module quiet zone)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


class QRImage(Image):
    """Shows ``data`` as a crisp QR code, black on white, scaled to fit."""

    data = StringProperty("")
    """The text or URL to encode, str; empty shows nothing."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.fit_mode = "contain"
        self.bind(data=self._render)
        self._render()

    def _render(self, *_args: object) -> None:
        if not self.data:
            self.texture = None
            return
        matrix = qr_matrix(self.data)
        n = len(matrix)
        buf = bytearray()
        for row in reversed(matrix):  # textures start at the bottom row
            for dark in row:
                buf += b"\x00\x00\x00\xff" if dark else b"\xff\xff\xff\xff"
        texture = Texture.create(size=(n, n), colorfmt="rgba")
        texture.mag_filter = "nearest"
        texture.min_filter = "nearest"
        texture.blit_buffer(bytes(buf), colorfmt="rgba", bufferfmt="ubyte")
        self.texture = texture
