"""Cut a zone out of a decoded picture."""

from __future__ import annotations

from PIL import Image

from api.imaging.geometry import Box


def crop(image: Image.Image, box: Box) -> Image.Image:
    """Return the pixels of ``box``, exactly, as a new image of the same mode.

    The box must lie inside the image: Pillow would silently pad the outside with black,
    and a crop that is knowingly wrong is never what the caller wants, so that is a
    ``ValueError``. The image's ICC profile travels with the crop.
    """
    if not box.fits_within(image.width, image.height):
        message = (
            f"The box {box.width}x{box.height} at ({box.x}, {box.y}) does not fit in a "
            f"{image.width}x{image.height} picture."
        )
        raise ValueError(message)
    return image.crop(box.as_ltrb())
