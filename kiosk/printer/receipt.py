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
import socket
from collections.abc import Mapping
from dataclasses import dataclass
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


def _line(printer: Any, text: str, *, size: int = 1, bold: bool = False) -> None:
    """One centred line. Sizes use ``GS !`` only: it scales Chinese and ASCII alike,
    where ``ESC !`` leaves two-byte characters at their normal size on many printers."""
    printer.set(align="center", bold=bold, custom_size=True, width=size, height=size)
    printer._raw(text.encode(ENCODING) + b"\n")


def receipt_bytes(
    ticket: TicketReceipt, *, profile: str | None = None, qr_native: bool = True
) -> bytes:
    """The ESC/POS bytes of ``ticket``'s receipt, ready to send to a printer."""
    from escpos.printer import Dummy

    p = Dummy(profile=profile)
    p._raw(b"\x1b@" + FS_CHINESE_ON)
    _line(p, ticket.hall_name, size=2, bold=True)
    _line(p, _("Queue number"))
    _line(p, ticket.number, size=5, bold=True)
    _line(p, ticket.service_name, size=2, bold=True)
    _line(p, _("Taken at {time}").format(time=ticket.issued_at.strftime("%Y-%m-%d %H:%M")))
    _line(p, _("People ahead of you: {count}").format(count=ticket.people_ahead))
    if ticket.qr_url:
        p.qr(ticket.qr_url, size=6, native=qr_native, center=not qr_native)
        _line(p, _("Scan to follow your turn on your phone"))
    _line(p, _("Please wait for your number to be called"))
    p.cut()
    return bytes(p.output)


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
        from escpos.exceptions import Error as EscposError

        try:
            data = receipt_bytes(
                ticket, profile=self.settings.profile, qr_native=self.settings.qr_native
            )
        except (EscposError, ValueError) as exc:  # a bad profile or an unprintable QR text
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
