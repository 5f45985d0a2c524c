"""Regenerate docs/gallery.png: every built-in template at the og size, default palette.

.venv/bin/python docs/gallery.py
"""

from __future__ import annotations

from pathlib import Path

import pyvips

import renderer
from renderer.colours import to_hex
from renderer.template import registry

CARD = {
    "title": "Shipping a faster image pipeline with libvips and a pinch of Pango",
    "description": "How we cut social card render times by 90% while improving typography.",
    "tag": "Engineering",
    "author": "Ada Lovelace",
}
QUOTE = {
    "title": "Simplicity is prerequisite for reliability.",
    "author": "Edsger W. Dijkstra",
    "tag": "Computer scientist",
}


def _logo(colour: str) -> bytes:
    mark = pyvips.Image.text(
        f'<span foreground="{colour}" font_weight="800">\u25c6 acme</span>',
        font="Inter 64",
        dpi=72,
        rgba=True,
    )
    return bytes(mark.pngsave_buffer())


def _avatar() -> bytes:
    xy = pyvips.Image.xyz(256, 256)
    face = (xy[0] / 256 * [190, 90, 50] + xy[1] / 256 * [30, 110, 190] + 35).cast("uchar")
    return bytes(face.copy(interpretation="srgb").pngsave_buffer())


def main() -> None:
    tiles = []
    for name in renderer.available_templates():
        info = renderer.template_info(name)
        text = to_hex(registry().palettes[info.default_palette]["text"])
        assets = renderer.Assets(avatar=_avatar(), logo=_logo(text))
        fields = QUOTE if name == "quote" else CARD
        card = renderer.render(renderer.RenderSpec(template=name, **fields), assets)
        tile = pyvips.Image.new_from_buffer(card.data, "").resize(0.5)
        label = pyvips.Image.text(
            f'<span foreground="#444444">{name} \u00b7 {card.palette}</span>',
            font="Inter 18",
            dpi=72,
            rgba=True,
        )
        label = label.flatten(background=[255, 255, 255]).embed(
            0, 6, tile.width, label.height + 12, extend="white"
        )
        tiles.append(tile.join(label, "vertical", background=[255, 255, 255]))
    sheet = pyvips.Image.arrayjoin(tiles, across=3, shim=16, background=[255, 255, 255])
    sheet = sheet.embed(16, 16, sheet.width + 32, sheet.height + 32, extend="white")
    out = Path(__file__).parent / "gallery.png"
    sheet.pngsave(str(out), compression=9)
    print(out, sheet.width, sheet.height)


if __name__ == "__main__":
    main()
