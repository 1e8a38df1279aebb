"""Draw the demo staff avatars: friendly flat head-and-shoulders figures, no real faces.

Run once by hand (``.venv/bin/python config/demo/make_avatars.py``); the PNGs it writes to
``config/demo/media/`` are committed and the hall files name them by SHA-256, which this
script prints. Re-running it with another Pillow version may change the bytes and so the
hashes: if it does, update ``staff[].photo`` in ``halls/*.json`` (the demo tests catch it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

SIZE = 256
SCALE = 4  # draw large, then shrink: smooth edges without an antialiasing API
MEDIA = Path(__file__).resolve().parent / "media"


@dataclass(frozen=True)
class Figure:
    name: str
    background: str
    skin: str
    hair: str
    shirt: str
    style: str  # short / long / bun / parted / grey


FIGURES = (
    Figure("avatar-short-blue", "#cfe3f7", "#f2c9a0", "#2b2b2b", "#2f6fb0", "short"),
    Figure("avatar-long-rose", "#f9d9e0", "#f5d0b0", "#3a2a20", "#c0506a", "long"),
    Figure("avatar-bun-green", "#d5efd9", "#eec39a", "#1f1f1f", "#3d8b57", "bun"),
    Figure("avatar-parted-amber", "#fbe7c2", "#e9b98f", "#222222", "#b7742a", "parted"),
    Figure("avatar-grey-teal", "#cdeeee", "#f0c8a4", "#b9b9b9", "#2a8a8a", "grey"),
    Figure("avatar-long-violet", "#e6dcf5", "#f3cfae", "#2a1f1a", "#6b4fa8", "long"),
)


def draw(figure: Figure) -> Image.Image:
    s = SIZE * SCALE
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        return (int(x0 * s), int(y0 * s), int(x1 * s), int(y1 * s))

    pen.ellipse(box(0, 0, 1, 1), fill=figure.background)
    figure_layer = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    body = ImageDraw.Draw(figure_layer)
    if figure.style == "long":  # hair falling behind the shoulders
        body.rounded_rectangle(box(0.29, 0.22, 0.71, 0.70), radius=int(0.16 * s), fill=figure.hair)
    body.ellipse(box(0.16, 0.66, 0.84, 1.30), fill=figure.shirt)  # shoulders
    body.rectangle(box(0.44, 0.55, 0.56, 0.70), fill=figure.skin)  # neck
    collar = [(0.40, 0.66), (0.50, 0.77), (0.60, 0.66)]
    body.polygon([(int(x * s), int(y * s)) for x, y in collar], fill=figure.skin)
    if figure.style == "bun":
        body.ellipse(box(0.41, 0.08, 0.59, 0.24), fill=figure.hair)
    body.ellipse(box(0.29, 0.17, 0.71, 0.52), fill=figure.hair)  # hair behind the face
    body.ellipse(box(0.32, 0.24, 0.68, 0.62), fill=figure.skin)  # face
    if figure.style == "parted":  # side-swept fringe
        body.chord(box(0.30, 0.19, 0.74, 0.45), 150, 330, fill=figure.hair)
    elif figure.style == "bun":
        body.chord(box(0.31, 0.21, 0.69, 0.37), 180, 360, fill=figure.hair)
    else:
        body.chord(box(0.31, 0.21, 0.69, 0.41), 180, 360, fill=figure.hair)
    eye = 0.025
    for x in (0.43, 0.57):
        body.ellipse(box(x - eye, 0.41 - eye, x + eye, 0.41 + eye), fill="#3b3b3b")
    body.arc(box(0.43, 0.43, 0.57, 0.53), 20, 160, fill="#a0523d", width=int(0.012 * s))

    circle = Image.new("L", (s, s), 0)
    ImageDraw.Draw(circle).ellipse(box(0, 0, 1, 1), fill=255)  # keep the figure in the circle
    figure_layer.putalpha(ImageChops.multiply(figure_layer.getchannel("A"), circle))
    image.alpha_composite(figure_layer)
    return image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def main() -> None:
    MEDIA.mkdir(parents=True, exist_ok=True)
    for figure in FIGURES:
        path = MEDIA / f"{figure.name}.png"
        draw(figure).save(path, format="PNG", optimize=True)
        print(hashlib.sha256(path.read_bytes()).hexdigest(), path.name)


if __name__ == "__main__":
    main()
