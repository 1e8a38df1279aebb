"""kiosk.voice and kiosk.printer are hardware behind plain Python: no kivy, no GUI."""

from __future__ import annotations

import subprocess
import sys


def test_voice_and_printer_import_no_kivy() -> None:
    code = (
        "import sys, kiosk.voice, kiosk.printer, kiosk.voice.cli;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('kivy', 'pyttsx3', 'escpos'));"
        "print(','.join(bad))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    # pyttsx3 lives only in the engine's child process; escpos loads when a receipt prints
    assert done.stdout.strip() == ""
