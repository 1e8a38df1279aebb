"""Queue-ticket receipts on an ESC/POS printer, Chinese text as GB18030.

Chinese text: python-escpos 3.1's ``MagicEncode`` sends a string as GB18030 only when it
happens to contain a character in U+4E00–U+9FA5, and otherwise routes it through
single-byte code pages (so "（" or "〇" alone come out as "?"), and it never puts the
printer into Chinese mode. Printers sold in China carry a resident GB18030/GBK font and
print two-byte codes in Chinese character mode (``FS &``). So every receipt starts with
``ESC @`` (reset) and ``FS &`` (Chinese mode on), and all text goes out as GB18030 bytes
through ``_raw``; python-escpos is used for the rest (sizes, alignment, QR code, cut).
The whole receipt is built in memory first (a python-escpos ``Dummy``) and sent to the
device in one write, so a receipt is never interleaved with another one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.i18n import _

FS_CHINESE_ON = b"\x1c\x26"
"""``FS &``: select Chinese (two-byte) character mode."""
ENCODING = "gb18030"
KINDS = ("none", "usb", "network", "file")


class PrinterFault(Exception):
    """Printing failed. ``message`` is for the resident (shown and spoken), ``detail`` for
    the maintenance log. The ticket is valid regardless."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        self.message = _(
            "The printer is not working. Your ticket is still valid: "
            "please remember the number on the screen."
        )
        super().__init__(f"{self.message} ({detail})")


@dataclass(frozen=True)
class TicketReceipt:
    """What a printed ticket shows. No personal data, by design."""

    number: str
    hall_name: str
    service_name: str
    issued_at: dt.datetime
    people_ahead: int
    qr_url: str | None = None
    """The ticket's phone page (server's public address); None prints no QR code."""


@dataclass(frozen=True)
class RequestReceipt:
    """What a printed request receipt (诉求回执) shows: no name, phone or room number."""

    query_code: str
    number: str | None
    hall_name: str
    category_label: str
    deadline_text: str
    made_at: dt.datetime
    qr_url: str | None = None


@dataclass(frozen=True)
class PrinterSettings:
    """Which receipt printer the kiosk has. ``kind="none"``: there is none."""

    kind: str = "none"
    """``none``, ``usb``, ``network`` or ``file``."""
    usb_vendor: int | None = None
    """USB vendor id, e.g. 0x0416 (Winbond, common in Chinese thermal printers)."""
    usb_product: int | None = None
    host: str | None = None
    port: int = 9100
    device: str | None = None
    """Device file for ``file`` (``/dev/usb/lp0``); any writable path works."""
    profile: str | None = None
    """A python-escpos printer profile name; None: the generic profile."""
    qr_native: bool = True
    """True: the printer draws the QR code (``GS ( k``); False: send it as an image."""
    timeout: float = 5.0
    """Seconds for a network or USB write before it counts as a fault."""
    text_as_image: bool = False
    """True for a printer without a Chinese font: every line is drawn as a bitmap."""
    paper_width_px: int = 576
    """Printable dots per line: 576 for 80 mm paper, 384 for 58 mm (203 dpi)."""
    font_path: str | None = None
    """Font for ``text_as_image``; None: the first CJK font found (see ``FONT_CANDIDATES``)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"printer kind must be one of {KINDS}, not {self.kind!r}")
        if self.kind == "usb" and (self.usb_vendor is None or self.usb_product is None):
            raise ValueError("a usb printer needs usb_vendor and usb_product")
        if self.kind == "network" and not self.host:
            raise ValueError("a network printer needs host")
        if self.kind == "file" and not self.device:
            raise ValueError("a file printer needs device")
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be 1–65535, not {self.port!r}")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, not {self.timeout!r}")
        if not 200 <= self.paper_width_px <= 1024:
            raise ValueError(f"paper_width_px must be 200–1024, not {self.paper_width_px!r}")

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> PrinterSettings:
        """From a settings file's ``printer`` table; ids may be written "0x0416"."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown printer settings: {', '.join(unknown)}")
        values: dict[str, Any] = dict(data)
        for key in ("usb_vendor", "usb_product"):
            if isinstance(values.get(key), str):
                values[key] = int(str(values[key]), 0)
        return cls(**values)


FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "C:/Windows/Fonts/msyhbd.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    str(Path(__file__).resolve().parent.parent / "assets/fonts/NotoSansSC-Subset-Bold.otf"),
)
"""Fonts tried in order for ``text_as_image``; the bundled subset last (it may lack a
rare character of a hall's name)."""
_BASE_PX = 24
"""Text height of size 1 in dots: the printer's own 12×24 font."""


class _Receipt:
    """Writes lines of a receipt to a python-escpos printer, as GB18030 or as bitmaps."""

    def __init__(self, printer: Any, settings: PrinterSettings) -> None:
        self.p = printer
        self.settings = settings
        self._font_file = _find_font(settings.font_path) if settings.text_as_image else None

    def start(self) -> None:
        # ESC @ resets; FS & selects Chinese two-byte mode for the GB18030 text.
        self.p._raw(b"\x1b@" if self.settings.text_as_image else b"\x1b@" + FS_CHINESE_ON)

    def line(self, text: str, *, size: int = 1, bold: bool = False) -> None:
        """One centred line. Sizes use ``GS !`` only: it scales Chinese and ASCII alike,
        where ``ESC !`` leaves two-byte characters at their normal size on many printers."""
        if self._font_file is not None:
            for image in _text_images(text, self._font_file, _BASE_PX * size, self.settings):
                _raster(self.p, image)
            return
        self.p.set(align="center", bold=bold, custom_size=True, width=size, height=size)
        self.p._raw(text.encode(ENCODING) + b"\n")

    def qr(self, url: str) -> None:
        if self.settings.qr_native:
            self.p.set(align="center", custom_size=True, width=1, height=1)
            self.p.qr(url, size=6, native=True)
            return
        import qrcode  # type: ignore[import-untyped,unused-ignore]

        code = qrcode.QRCode(box_size=6, border=2)
        code.add_data(url)
        code.make(fit=True)
        _raster(self.p, _centred(code.make_image().get_image().convert("L"), self.settings))


def _raster(printer: Any, image: Any) -> None:
    """``GS v 0`` raster bit image (what python-escpos's ``image()`` sends, without its
    print() to stdout about the profile's unknown paper width)."""
    from escpos.image import EscposImage

    bits = EscposImage(image)
    size = bits.width_bytes.to_bytes(2, "little") + bits.height.to_bytes(2, "little")
    printer._raw(b"\x1dv0\x00" + size + bits.to_raster_format())


def _find_font(wanted: str | None) -> str:
    candidates = (wanted,) if wanted else FONT_CANDIDATES
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise PrinterFault(f"no CJK font for text_as_image (tried {', '.join(map(str, candidates))})")


def _centred(image: Any, settings: PrinterSettings) -> Any:
    from PIL import Image

    width = settings.paper_width_px
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)))
    page = Image.new("L", (width, image.height), 255)
    page.paste(image, ((width - image.width) // 2, 0))
    return page


_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_WRAP_TOKENS = re.compile(f"[{_CJK}]|[^{_CJK}\\s]+\\s*|\\s+")


def _text_images(text: str, font_file: str, px: int, settings: PrinterSettings) -> list[Any]:
    """``text`` drawn centred on the paper's width, shrunk (down to 20 dots) or wrapped to fit."""
    from PIL import Image, ImageDraw, ImageFont

    width = settings.paper_width_px
    font = ImageFont.truetype(font_file, px)
    while font.getlength(text) > width and px > 20:
        px = max(20, int(px * 0.9))
        font = ImageFont.truetype(font_file, px)
    rows: list[str] = []
    row = ""
    for token in _WRAP_TOKENS.findall(text):  # a CJK character or a whole Latin word
        if row.strip() and font.getlength((row + token).rstrip()) > width:
            rows.append(row.rstrip())
            row = ""
        row += token
    rows.append(row.rstrip())
    images = []
    height = round(px * 1.3)
    for row in rows:
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        draw.text((width // 2, height // 2), row, font=font, fill=0, anchor="mm")
        images.append(image)
    return images


def receipt_bytes(ticket: TicketReceipt, settings: PrinterSettings | None = None) -> bytes:
    """The ESC/POS bytes of ``ticket``'s receipt for a printer set up as ``settings``."""
    from escpos.printer import Dummy

    settings = settings or PrinterSettings()
    printer = Dummy(profile=settings.profile)
    out = _Receipt(printer, settings)
    out.start()
    out.line(ticket.hall_name, size=2, bold=True)
    out.line(_("Queue number"))
    out.line(ticket.number, size=5, bold=True)
    out.line(ticket.service_name, size=2, bold=True)
    out.line(_("Taken at {time}").format(time=ticket.issued_at.strftime("%Y-%m-%d %H:%M")))
    out.line(_("People ahead of you: {count}").format(count=ticket.people_ahead))
    if ticket.qr_url:
        out.qr(ticket.qr_url)
        out.line(_("Scan to follow your turn on your phone"))
    out.line(_("Please wait for your number to be called"))
    printer.cut()
    return bytes(printer.output)


def request_receipt_bytes(
    receipt: RequestReceipt, settings: PrinterSettings | None = None
) -> bytes:
    """The ESC/POS bytes of a request receipt (诉求回执)."""
    from escpos.printer import Dummy

    settings = settings or PrinterSettings()
    printer = Dummy(profile=settings.profile)
    out = _Receipt(printer, settings)
    out.start()
    out.line(receipt.hall_name, size=2, bold=True)
    out.line(_("Request receipt"))
    out.line(_("Query code"))
    out.line(receipt.query_code, size=4, bold=True)
    out.line(
        _("Request number: {number}").format(number=receipt.number)
        if receipt.number
        else _("The number is given once the kiosk is online")
    )
    out.line(receipt.category_label, size=2, bold=True)
    out.line(receipt.deadline_text)
    out.line(_("Made at {time}").format(time=receipt.made_at.strftime("%Y-%m-%d %H:%M")))
    if receipt.qr_url:
        out.qr(receipt.qr_url)
        out.line(_("Scan to follow your request on your phone"))
    printer.cut()
    return bytes(printer.output)


class ReceiptPrinter:
    """Prints queue tickets. The base prints nothing (see :class:`NoPrinter`)."""

    @property
    def present(self) -> bool:
        """True when a printer is configured (the ticket screen offers a receipt)."""
        return False

    @property
    def status_text(self) -> str:
        """One line for the maintenance screen."""
        return _("No receipt printer")

    def print_ticket(self, ticket: TicketReceipt) -> None:
        """Print ``ticket``; raises :class:`PrinterFault` when that fails."""

    def print_request(self, receipt: RequestReceipt) -> None:
        """Print a request receipt; raises :class:`PrinterFault` when that fails."""


class NoPrinter(ReceiptPrinter):
    """No receipt printer configured: the kiosk shows the ticket and its QR code only."""


class EscposPrinter(ReceiptPrinter):
    """A python-escpos printer, opened for each receipt and closed after it.

    Opening per receipt means an unplugged or power-cycled printer is found again on the
    next ticket without restarting the kiosk.
    """

    def __init__(self, settings: PrinterSettings) -> None:
        if settings.kind == "none":
            raise ValueError("EscposPrinter needs a usb, network or file printer")
        self.settings = settings
        self.last_fault: str | None = None

    @property
    def present(self) -> bool:
        return True

    @property
    def status_text(self) -> str:
        s = self.settings
        where = {
            "usb": f"USB {s.usb_vendor or 0:04x}:{s.usb_product or 0:04x}",
            "network": f"{s.host}:{s.port}",
            "file": str(s.device),
        }[s.kind]
        if self.last_fault:
            return _("Receipt printer {where}: fault: {fault}").format(
                where=where, fault=self.last_fault
            )
        return _("Receipt printer {where}").format(where=where)

    def _device(self) -> Any:
        from escpos import printer

        s = self.settings
        if s.kind == "usb":
            return printer.Usb(
                s.usb_vendor, s.usb_product, timeout=int(s.timeout * 1000), profile=s.profile
            )
        if s.kind == "network":
            return _network_printer(s)
        return printer.File(s.device or "", profile=s.profile)

    def print_ticket(self, ticket: TicketReceipt) -> None:
        self._print(lambda: receipt_bytes(ticket, self.settings))

    def print_request(self, receipt: RequestReceipt) -> None:
        self._print(lambda: request_receipt_bytes(receipt, self.settings))

    def _print(self, build: Callable[[], bytes]) -> None:
        from escpos.exceptions import Error as EscposError

        data = b""
        try:
            data = build()
        except PrinterFault as fault:  # no font for text_as_image
            self._fault(fault.detail)
        except (EscposError, ValueError, OSError) as exc:  # bad profile, unreadable font
            self._fault(f"cannot build the receipt: {exc}")
        device = None
        try:
            device = self._device()
            device.open()
            device._raw(data)
        except (EscposError, OSError, RuntimeError, ValueError) as exc:
            # RuntimeError: pyusb missing; ValueError: usb.core.NoBackendError (no libusb)
            self._fault(f"{type(exc).__name__}: {str(exc).strip()}")
        finally:
            if device is not None:
                # a close that fails after a fault adds nothing to the fault already raised
                with contextlib.suppress(EscposError, OSError, RuntimeError, ValueError):
                    device.close()
        self.last_fault = None

    def _fault(self, detail: str) -> None:
        self.last_fault = detail
        raise PrinterFault(detail)


def _network_printer(settings: PrinterSettings) -> Any:
    """python-escpos's ``Network`` printer, with an ``open`` that does not leak the socket
    when the printer is off (3.1 drops the unconnected socket unclosed)."""
    from escpos.printer import Network

    class ClosingNetwork(Network):  # type: ignore[misc]
        def open(self, raise_not_found: bool = True) -> None:
            self.device = socket.create_connection((self.host, self.port), timeout=self.timeout)

    return ClosingNetwork(
        settings.host or "", settings.port, timeout=settings.timeout, profile=settings.profile
    )


def open_printer(settings: PrinterSettings | None) -> ReceiptPrinter:
    """The receipt printer ``settings`` describe, :class:`NoPrinter` when none is set."""
    if settings is None or settings.kind == "none":
        return NoPrinter()
    return EscposPrinter(settings)
