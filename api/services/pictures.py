"""Uploaded pictures: decoded within the configured limits, imaging errors made answers."""

from __future__ import annotations

from api import errors
from api.imaging import errors as imaging_errors
from api.imaging.decode import Picture, decode_picture


def decode_upload(data: bytes, *, max_pixels: int, field: str = "image") -> Picture:
    """Decode an uploaded picture, or raise the API error that names what is wrong."""
    if not data:
        raise errors.validation_failed(
            [errors.FieldError(field=field, message="the file is empty")]
        )
    try:
        return decode_picture(data, max_pixels=max_pixels)
    except imaging_errors.PictureTooLarge as exc:
        raise errors.PayloadTooLarge(str(exc)) from exc
    except imaging_errors.UnsupportedPicture as exc:
        raise errors.UnsupportedPicture(str(exc)) from exc
    except imaging_errors.UndecodablePicture as exc:
        raise errors.UndecodablePicture(str(exc)) from exc
