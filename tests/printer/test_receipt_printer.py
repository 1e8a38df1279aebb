"""Ticket receipts: the exact ESC/POS bytes, on python-escpos's Dummy, File and Network
printers (a real loopback socket), and the faults a resident must be told about."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import threading
from pathlib import Path

import pytest

from kiosk.printer import (
    EscposPrinter,
    NoPrinter,
    PrinterFault,
    PrinterSettings,
    TicketReceipt,
    open_printer,
    receipt_bytes,
)

pytestmark = pytest.mark.timeout(60)

TICKET = TicketReceipt(
    number="A012",
    hall_name="姚家街道和平居委会",
    service_name="居家养老",
    issued_at=dt.datetime(2026, 11, 26, 9, 30),
    people_ahead=3,
    qr_url="https://hall.example.cn/t/Xq3v9PzK",
)
GS_QR_STORE = b"\x1d(k"
QR_PRINT = b"\x1d(k\x03\x001Q0"
FULL_CUT = b"\x1dV\x00"
FS_CHINESE_ON = b"\x1c&"


def assert_is_the_receipt(data: bytes) -> None:
    assert data.startswith(b"\x1b@" + FS_CHINESE_ON)  # reset, then Chinese mode
    assert "姚家街道和平居委会".encode("gb18030") in data
    assert "居家养老".encode("gb18030") in data
    number = data[data.index(b"\x1d!\x44") : data.index(b"A012\n")]  # the number at 5x5
    assert b"\x1d!" not in number[3:]
    assert b"2026-11-26 09:30" in data
    assert b"3" in data.split(b"2026-11-26 09:30", 1)[1]
    url = TICKET.qr_url.encode("ascii")
    store = data.index(GS_QR_STORE + (len(url) + 3).to_bytes(2, "little") + b"1P0" + url)
    assert data.index(QR_PRINT) > store  # stored, then printed
    assert data.rstrip(b"\n").endswith(FULL_CUT) or FULL_CUT in data[-16:]
    assert "居".encode() not in data  # never UTF-8 on the wire


def test_receipt_bytes_carry_gb18030_text_qr_and_cut() -> None:
    assert_is_the_receipt(receipt_bytes(TICKET))


def test_qr_as_image_when_the_printer_cannot_draw_it() -> None:
    data = receipt_bytes(TICKET, PrinterSettings(qr_native=False))
    assert GS_QR_STORE not in data
    assert b"\x1dv0" in data  # GS v 0: raster bit image
    assert data[-16:].find(FULL_CUT) >= 0


def test_text_as_image_for_printers_without_a_chinese_font(tmp_path: Path) -> None:
    settings = PrinterSettings(text_as_image=True, paper_width_px=384)
    data = receipt_bytes(TICKET, settings)
    assert data.startswith(b"\x1b@") and FS_CHINESE_ON not in data[:4]
    assert "居家养老".encode("gb18030") not in data and b"A012" not in data
    header = b"\x1dv0\x00" + (384 // 8).to_bytes(2, "little")  # full-width raster lines
    assert data.count(header) >= 8  # hall, label, number, service, time, ahead, 2 after QR
    assert GS_QR_STORE in data and data[-16:].find(FULL_CUT) >= 0
    printer = EscposPrinter(
        dataclasses.replace(
            settings, kind="file", device=str(tmp_path / "lp0"), font_path="/no/font"
        )
    )
    with pytest.raises(PrinterFault, match="no CJK font"):
        printer.print_ticket(TICKET)


def test_no_qr_without_url_and_characters_outside_cjk_block_survive() -> None:
    ticket = TicketReceipt("B007", "〇号楼（东）", "就业宣传", TICKET.issued_at, 0)
    data = receipt_bytes(ticket)
    assert GS_QR_STORE not in data
    assert "〇号楼（东）".encode("gb18030") in data
    assert b"?" not in data


def test_file_printer_writes_the_receipt(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    printer = open_printer(PrinterSettings(kind="file", device=str(device)))
    assert isinstance(printer, EscposPrinter) and printer.present
    printer.print_ticket(TICKET)
    assert device.read_bytes() == receipt_bytes(TICKET)
    assert str(device) in printer.status_text


def test_network_printer_sends_the_receipt_over_tcp() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    received = bytearray()

    def accept() -> None:
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(65536):
                received.extend(chunk)

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        printer = open_printer(PrinterSettings(kind="network", host="127.0.0.1", port=port))
        printer.print_ticket(TICKET)
        thread.join(30)
    finally:
        server.close()
    assert bytes(received) == receipt_bytes(TICKET)


@pytest.mark.parametrize("where", ["directory", "missing-dir"])
def test_unwritable_device_is_a_printer_fault(tmp_path: Path, where: str) -> None:
    device = tmp_path if where == "directory" else tmp_path / "no" / "such" / "lp0"
    printer = open_printer(PrinterSettings(kind="file", device=str(device)))
    with pytest.raises(PrinterFault) as fault:
        printer.print_ticket(TICKET)
    assert fault.value.message  # for the screen and the voice
    assert "DeviceNotFoundError" in fault.value.detail
    assert isinstance(printer, EscposPrinter) and printer.last_fault
    assert printer.last_fault in printer.status_text


def test_network_printer_that_is_off_is_a_printer_fault() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    printer = open_printer(PrinterSettings(kind="network", host="127.0.0.1", port=port, timeout=2))
    with pytest.raises(PrinterFault, match="ConnectionRefused"):
        printer.print_ticket(TICKET)


def test_printer_that_stops_taking_data_is_a_printer_fault_and_recovers() -> None:
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.bind(("127.0.0.1", 0))
    stalled.listen()  # accepts (in the kernel) but never reads: paper jam, buffer full
    printer = EscposPrinter(
        PrinterSettings(kind="network", host="127.0.0.1", port=stalled.getsockname()[1], timeout=1)
    )
    big = dataclasses.replace(TICKET, hall_name="居委会" * 1_500_000)  # ~9 MB: fills every buffer
    try:
        with pytest.raises(PrinterFault, match="timed out"):
            printer.print_ticket(big)
    finally:
        stalled.close()
    # the next ticket prints again once the printer is back
    assert printer.last_fault is not None
    back = socket.create_server(("127.0.0.1", 0))
    received = bytearray()

    def read_all() -> None:
        conn, _ = back.accept()
        with conn:
            while chunk := conn.recv(65536):
                received.extend(chunk)

    reader = threading.Thread(target=read_all)
    reader.start()
    try:
        printer = EscposPrinter(dataclasses.replace(printer.settings, port=back.getsockname()[1]))
        printer.print_ticket(TICKET)
        reader.join(30)
    finally:
        back.close()
    assert bytes(received) == receipt_bytes(TICKET)
    assert printer.last_fault is None


def test_usb_printer_that_is_not_plugged_in_is_a_printer_fault() -> None:
    printer = open_printer(PrinterSettings(kind="usb", usb_vendor=0x0416, usb_product=0x5011))
    with pytest.raises(PrinterFault) as fault:
        printer.print_ticket(TICKET)
    assert fault.value.detail
    assert "0416:5011" in printer.status_text


def test_no_printer_prints_nothing_and_says_so() -> None:
    printer = open_printer(None)
    assert isinstance(printer, NoPrinter) and not printer.present
    printer.print_ticket(TICKET)
    assert printer.status_text


def test_settings_refuse_incomplete_printers_and_read_hex_ids() -> None:
    with pytest.raises(ValueError, match="usb_vendor"):
        PrinterSettings(kind="usb")
    with pytest.raises(ValueError, match="host"):
        PrinterSettings(kind="network")
    with pytest.raises(ValueError, match="device"):
        PrinterSettings(kind="file")
    with pytest.raises(ValueError, match="kind"):
        PrinterSettings(kind="serial")
    with pytest.raises(ValueError, match="unknown printer settings: speed"):
        PrinterSettings.from_mapping({"speed": 1})
    usb = PrinterSettings.from_mapping(
        {"kind": "usb", "usb_vendor": "0x0416", "usb_product": "0x5011"}
    )
    assert (usb.usb_vendor, usb.usb_product) == (0x0416, 0x5011)
