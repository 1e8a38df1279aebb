"""The hall's receipt printer: print a queue ticket, or say clearly why it could not.

:func:`open_printer` builds an :class:`EscposPrinter` (python-escpos over USB, the
network or a device file) from the printer settings, or :class:`NoPrinter` when none is
configured. A failed print raises :class:`PrinterFault` with a message the screen can
show and speak; the ticket itself stays valid. Imported by the Kivy app's ticket flow;
it imports no kivy. See docs/VOICE.md ("Printing") for the Chinese-text decision.
"""

from kiosk.printer.receipt import (
    EscposPrinter,
    NoPrinter,
    PrinterFault,
    PrinterSettings,
    ReceiptPrinter,
    RequestReceipt,
    TicketReceipt,
    open_printer,
    receipt_bytes,
    request_receipt_bytes,
)

__all__ = [
    "EscposPrinter",
    "NoPrinter",
    "PrinterFault",
    "PrinterSettings",
    "ReceiptPrinter",
    "RequestReceipt",
    "TicketReceipt",
    "open_printer",
    "receipt_bytes",
    "request_receipt_bytes",
]
