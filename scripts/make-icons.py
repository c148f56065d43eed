#!/usr/bin/env python3
"""Draws vnfeed's built-in icon and logo (assets/*.png) with Pillow; assets/icon.svg is the
same drawing by hand. Run once when the design changes, from the repository root:
    python3 -m venv /tmp/v && /tmp/v/bin/pip install pillow && /tmp/v/bin/python scripts/make-icons.py
The PNGs are committed: the build does not need Python."""

from PIL import Image, ImageDraw, ImageFont

RED = (179, 38, 30, 255)  # #b3261e
GOLD = (255, 213, 79, 255)  # #ffd54f
WHITE = (255, 255, 255, 255)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
SCALE = 4  # drawn 4x and scaled down, for smooth edges


def feed_mark(draw, x, y, size):
    """The feed symbol (a dot and two arcs) in a size x size box at (x, y), in gold."""
    s = size / 64
    dot = 6.5 * s
    cx, cy = x + 19 * s, y + 45 * s
    draw.ellipse((cx - dot, cy - dot, cx + dot, cy + dot), fill=GOLD)
    # Arcs around the corner (12, 52), 8 wide, clear of the dot.
    for radius in (28, 44):
        r = radius * s
        draw.arc(
            (x + 12 * s - r, y + 52 * s - r, x + 12 * s + r, y + 52 * s + r),
            start=270,
            end=360,
            fill=GOLD,
            width=round(8 * s),
        )


def icon(size):
    big = size * SCALE
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 14 // 64, fill=RED)
    feed_mark(draw, 0, 0, big)
    return img.resize((size, size), Image.LANCZOS)


def logo(width):
    height = width // 2
    w, h = width * SCALE, height * SCALE
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=h * 14 // 64, fill=RED)
    mark = h * 3 // 4
    feed_mark(draw, h // 8, h // 8, mark)
    font = ImageFont.truetype(FONT, size=h * 30 // 100)
    text = "vnfeed"
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    tx = h // 8 + mark + (w - h // 8 - mark - (right - left)) // 2 - left - h // 16
    ty = (h - (bottom - top)) // 2 - top
    draw.text((tx, ty), text, font=font, fill=WHITE)
    return img.resize((width, height), Image.LANCZOS)


if __name__ == "__main__":
    # Three colours and their blends: a 64-colour palette keeps the files small.
    def save(img, path):
        img.quantize(64, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)

    save(icon(512), "assets/icon.png")
    save(icon(64), "assets/favicon.png")
    save(logo(512), "assets/logo.png")
