"""kiosk.voice and kiosk.printer load their engines only when used: importing them pulls in
neither pyttsx3 (it lives in the speech engine's child process) nor python-escpos (it
loads when a receipt prints). That they import no kivy at all is an import contract
(pyproject.toml, tests/test_import_contracts.py)."""

from __future__ import annotations

import subprocess
import sys


def test_voice_and_printer_load_their_engines_lazily() -> None:
    code = (
        "import sys, kiosk.voice, kiosk.printer, kiosk.voice.cli;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('kivy', 'pyttsx3', 'escpos'));"
        "print(','.join(bad))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""
