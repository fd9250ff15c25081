"""Which tool made a file, told by its content (never by its name), and the file read.

XML is CVAT for images; JSON is, by its shape: a VIA project (``_via_img_metadata``, or
an object of pictures with ``filename`` and ``regions``), a COCO file (``images`` and
``annotations`` lists), a Label Studio export (tasks with ``data`` and ``annotations``)
or a Tabula template (selections with ``page`` and ``x1 y1 x2 y2``). Anything else is a
422 naming the formats read.
"""

from __future__ import annotations

import json
from typing import Any

from api import errors
from api.services.models.importers import coco, cvat, label_studio, tabula, via
from api.services.models.importers.shapes import FORMATS, ForeignFile

BOM = b"\xef\xbb\xbf"
PORTABLE_KEY = "zonecut_export"
JSON_READERS = (via, coco, label_studio, tabula)


class _NotJson:
    """What :func:`_json` answers for bytes that are not JSON."""


NOT_JSON = _NotJson()


def accepted_formats() -> str:
    """The formats read, in words, for messages."""
    names = list(FORMATS.values())
    return ", ".join(names[:-1]) + " or " + names[-1] + " (or a Zonecut export)"


def read_foreign(data: bytes) -> ForeignFile:
    """Read another tool's file; 422 when it is none of the formats read (naming them),
    or when it is one of them but broken (naming where)."""
    text = data.removeprefix(BOM).lstrip()
    if not text:
        raise errors.validation_failed(
            [errors.FieldError(field="file", message="the file is empty")]
        )
    if text.startswith(b"<"):
        root = cvat.parse(text)
        if root is not None and cvat.matches(root):
            return cvat.read(root)
        shape = "not well-formed XML" if root is None else f"XML whose root is <{root.tag}>"
        raise _unknown(shape)
    document = _json(text)
    if isinstance(document, _NotJson):
        raise _unknown("neither JSON nor XML")
    for reader in JSON_READERS:
        if reader.matches(document):
            foreign: ForeignFile = reader.read(document)
            return foreign
    if document == []:
        raise _unknown("an empty JSON list")
    raise _unknown("JSON of another shape")


def is_portable(data: bytes) -> bool:
    """Whether ``data`` is a Zonecut export (a JSON object with ``zonecut_export``)."""
    document = _json(data.removeprefix(BOM).lstrip())
    return isinstance(document, dict) and PORTABLE_KEY in document


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return NOT_JSON


def _unknown(shape: str) -> errors.UnknownImportFormat:
    return errors.UnknownImportFormat(f"The file is {shape}: Zonecut imports {accepted_formats()}.")
