"""``python -m kiosk.voice say TEXT --out FILE.wav``."""

import sys

from kiosk.voice.cli import main

sys.exit(main())
