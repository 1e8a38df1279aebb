"""A PNG of a whole X display, e.g. the virtual screen ``make run`` puts the kiosk on::

    .venv/bin/python scripts/screenshot_display.py :99 kiosk.png

Uses Pillow (installed with the project; its X grab needs no other tool), so it works on
a machine with nothing but ``scripts/system-deps.sh``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("display", help="the X display, e.g. :99")
    parser.add_argument("out", type=Path, nargs="?", default=Path("kiosk.png"))
    args = parser.parse_args(argv)
    from PIL import ImageGrab

    try:
        image = ImageGrab.grab(xdisplay=args.display)
    except OSError as exc:
        print(f"cannot read display {args.display}: {exc}", file=sys.stderr)
        return 1
    image.save(args.out)
    print(f"{args.out} ({image.width}×{image.height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
