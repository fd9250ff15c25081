"""Tabula templates: the JSON list of selections the Tabula app saves or exports, each
``{page, x1, y1, x2, y2, width, height, extraction_method, selection_id}``, the corners in
PDF points (1/72 inch) from the top-left corner of the page (Tabula's ``-a`` area is
``y1,x1,y2,x2``). Selections carry no label; they describe a PDF, not a picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api.services.models.importers.shapes import (
    Box,
    Entry,
    ForeignFile,
    mapping,
    number,
    page_number,
)

FORMAT = "tabula"
CORNERS = ("x1", "y1", "x2", "y2")


def matches(document: Any) -> bool:
    """Whether ``document`` (parsed JSON) is a Tabula template."""
    return (
        isinstance(document, list)
        and bool(document)
        and all(
            isinstance(selection, dict)
            and "page" in selection
            and all(c in selection for c in CORNERS)
            for selection in document
        )
    )


def read(document: Sequence[Any]) -> ForeignFile:
    """The selections of a Tabula template, in PDF points."""
    boxes: list[Box] = []
    for index, selection in enumerate(document):
        where = f"[{index}]"
        selection = mapping(FORMAT, selection, where)
        page = page_number(FORMAT, selection["page"], f"{where}.page")
        x1, y1, x2, y2 = (number(FORMAT, selection[c], f"{where}.{c}") for c in CORNERS)
        boxes.append(Box("", min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1), page=page))
    return ForeignFile(
        format=FORMAT, entries=(Entry(name=None, boxes=tuple(boxes), units="points"),)
    )
