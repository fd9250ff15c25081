"""A decoded page kept as tiles of raw pixels, so that a few regions of it can be had
again without decoding the whole file.

A 12-megapixel JPEG takes 70-200 ms to decode; the tiles under a zone, deflated with
ISA-L at its fast level, come back in a few milliseconds. The pixels are exactly those
the decoder gave: a region put together from tiles is the decoded page's, pixel for
pixel, and so is any crop inside it. What was decoded depends on the decoders, so the
tiles are named by :func:`decoder_identity`: tiles of another decoder are not used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata

from isal import isal_zlib
from PIL import Image, features

from api.imaging.geometry import Box

TILE = 512  # pixels, the side of a tile
FORMAT = 1  # grows when the tiles' encoding changes
DEFLATE_LEVEL = 1  # ISA-L level: as fast as 0, far smaller on paper


def decoder_identity() -> str:
    """A digest of what decodes and renders pictures here: the tiles' format, Pillow and
    its codecs, PDFium, libheif. Pixels decoded under another identity may differ."""
    facts = [f"tiles {FORMAT}"]
    for package in ("pillow", "pypdfium2", "pillow-heif"):
        try:
            facts.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            facts.append(f"{package} -")
    for codec in ("jpg", "zlib", "webp", "libtiff"):
        facts.append(f"{codec} {features.version(codec)}")
    return hashlib.sha256("\n".join(facts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class TileGrid:
    """How a page of ``width`` x ``height`` pixels in ``mode`` is cut into tiles."""

    width: int
    height: int
    mode: str
    tile: int = TILE

    @property
    def columns(self) -> int:
        return -(-self.width // self.tile)

    @property
    def rows(self) -> int:
        return -(-self.height // self.tile)

    def all(self) -> list[tuple[int, int]]:
        """Every tile, as (column, row), row by row."""
        return [(c, r) for r in range(self.rows) for c in range(self.columns)]

    def box(self, column: int, row: int) -> Box:
        """The pixels tile (column, row) covers."""
        x, y = column * self.tile, row * self.tile
        return Box(x, y, min(self.tile, self.width - x), min(self.tile, self.height - y))

    def under(self, boxes: Iterable[Box]) -> list[tuple[int, int]]:
        """The tiles that hold some pixel of ``boxes`` (clipped to the page)."""
        found: set[tuple[int, int]] = set()
        for box in boxes:
            left, top = max(0, box.x), max(0, box.y)
            right, bottom = min(self.width, box.right), min(self.height, box.bottom)
            if right <= left or bottom <= top:
                continue
            for row in range(top // self.tile, (bottom - 1) // self.tile + 1):
                for column in range(left // self.tile, (right - 1) // self.tile + 1):
                    found.add((column, row))
        return sorted(found, key=lambda tile: (tile[1], tile[0]))


def cut_tiles(image: Image.Image, grid: TileGrid) -> Iterable[tuple[tuple[int, int], bytes]]:
    """Each tile of ``image`` (the page ``grid`` describes), its raw pixels deflated."""
    if (image.width, image.height, image.mode) != (grid.width, grid.height, grid.mode):
        raise ValueError("the grid is another page's")
    for column, row in grid.all():
        raw = image.crop(grid.box(column, row).as_ltrb()).tobytes()
        yield (column, row), isal_zlib.compress(raw, DEFLATE_LEVEL)


def assemble(
    grid: TileGrid,
    tiles: Iterable[tuple[int, int]],
    read: Callable[[tuple[int, int]], bytes],
) -> Image.Image:
    """A picture of the page's size holding the pixels of ``tiles`` (read with ``read``)
    exactly; the rest of it is left unset and must not be read."""
    page = Image.new(grid.mode, (grid.width, grid.height), None)
    for column, row in tiles:
        box = grid.box(column, row)
        raw = isal_zlib.decompress(read((column, row)))
        expected = box.area * len(grid.mode)
        if len(raw) != expected:
            raise ValueError(f"tile ({column}, {row}) holds {len(raw)} bytes, not {expected}")
        tile = Image.frombuffer(grid.mode, (box.width, box.height), raw, "raw", grid.mode, 0, 1)
        page.paste(tile, (box.x, box.y))
    return page


def grid_record(grid: TileGrid) -> dict[str, int | str]:
    """A grid as plain data."""
    return {"width": grid.width, "height": grid.height, "mode": grid.mode, "tile": grid.tile}


def grid_of_record(record: Mapping[str, object]) -> TileGrid:
    """The grid :func:`grid_record` wrote (``ValueError`` for a damaged one)."""
    width, height, tile = (int(str(record[k])) for k in ("width", "height", "tile"))
    mode = str(record["mode"])
    if mode not in ("L", "LA", "RGB", "RGBA") or min(width, height, tile) < 1:
        raise ValueError(f"not a tile grid: {record}")
    return TileGrid(width, height, mode, tile)
