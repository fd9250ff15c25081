"""The two bodies of ``POST /models/import``, read and told apart.

A Zonecut export comes as ``application/json`` (as it always has); another tool's file
comes as ``multipart/form-data`` with the file as part ``file``, the picture it was drawn
on as part ``image`` and an optional model ``name``. A Zonecut export sent as the
``file`` part is read as the JSON body would be. FastAPI reads one kind of body per
route, so this dependency reads the request itself and the route documents both kinds
(:data:`OPENAPI_BODY`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from api import errors
from api.schemas.models import ModelExport
from api.services.models.importers.detect import is_portable

PARTS = ("file", "image", "name")
MAX_NAME = 200
BINARY = {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"}

OPENAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ModelExport"}},
            "multipart/form-data": {
                "schema": {
                    "title": "Body_importModel",
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            **BINARY,
                            "description": "Another tool's file: a VIA 2 project, a Label "
                            "Studio JSON export, a COCO JSON file, a CVAT for images 1.1 XML "
                            "file or a Tabula template, told apart by content (a Zonecut "
                            "export is read too).",
                        },
                        "image": {
                            **BINARY,
                            "description": "The reference picture the file was drawn on (a "
                            "PDF for a Tabula template); required but for a Zonecut export.",
                        },
                        "name": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": MAX_NAME,
                            "description": "The model's name; by default the file's project "
                            "name or the picture's, with (2), (3)… when taken.",
                        },
                    },
                }
            },
        },
    }
}


@dataclass(frozen=True)
class PortableBody:
    """A Zonecut export to import."""

    document: ModelExport


@dataclass(frozen=True)
class ForeignBody:
    """Another tool's file and the picture it was drawn on."""

    data: bytes
    file_name: str | None
    image: bytes
    image_name: str | None
    name: str | None


async def read_import_body(request: Request) -> PortableBody | ForeignBody:
    """The body of an import as JSON or as a form, or the 422 naming what is wrong."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        return await _from_form(request)
    if media in ("", "application/json") or media.endswith("+json"):
        return PortableBody(_portable(await request.body(), ("body",)))
    raise errors.validation_failed(
        [
            errors.FieldError(
                field="body",
                message=f"{media} is not read here: send a Zonecut export as application/json, "
                "or another tool's file and its picture as multipart/form-data",
            )
        ]
    )


ImportBody = Annotated[PortableBody | ForeignBody, Depends(read_import_body)]


async def _from_form(request: Request) -> PortableBody | ForeignBody:
    try:
        form = await request.form(max_files=len(PARTS), max_fields=len(PARTS))
    except HTTPException as exc:
        if str(exc.detail).startswith("Too many"):
            raise _problem("body", f"the form has too many parts: it takes {_parts()}") from exc
        raise
    try:
        return await _parts_read(form)
    finally:
        await form.close()


async def _parts_read(form: FormData) -> PortableBody | ForeignBody:
    unknown = sorted({key for key in form if key not in PARTS})
    if unknown:
        names = ", ".join(f"`{key}`" for key in unknown)
        raise _problem("body", f"unexpected part {names}: the form takes {_parts()}")
    file, image, name = (form.get(part) for part in PARTS)
    if file is None:
        raise _problem("file", "missing: send the other tool's file as part `file`")
    data = await _content(file)
    if isinstance(name, UploadFile):
        raise _problem("name", "must be text, not a file")
    chosen = name.strip() if name else None
    if chosen is not None and len(chosen) > MAX_NAME:
        raise _problem("name", f"must be at most {MAX_NAME} characters")
    if is_portable(data):
        if image is not None:
            raise _problem("image", "a Zonecut export holds its own picture: send it alone")
        document = _portable(data, ("body", "file"))
        if chosen:
            document = document.model_copy(update={"name": chosen})
        return PortableBody(document)
    if image is None:
        raise _problem(
            "image",
            "missing: send the picture the file was drawn on as part `image` (the file "
            "holds where the zones are, not the picture)",
        )
    return ForeignBody(
        data=data,
        file_name=file.filename if isinstance(file, UploadFile) else None,
        image=await _content(image),
        image_name=image.filename if isinstance(image, UploadFile) else None,
        name=chosen or None,
    )


async def _content(part: UploadFile | str) -> bytes:
    """A part's bytes: a file's, or a text field's in UTF-8 (``curl -F file=<x.json``)."""
    if isinstance(part, str):
        return part.encode()
    return await part.read()


def _portable(data: bytes, where: tuple[str, ...]) -> ModelExport:
    """A Zonecut export validated like any JSON body: 422 naming each field wrong."""
    try:
        return ModelExport.model_validate_json(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": (*where, *error["loc"])} for error in exc.errors(include_url=False)]
        ) from exc


def _problem(field: str, message: str) -> errors.ValidationFailed:
    return errors.validation_failed([errors.FieldError(field=field, message=message)])


def _parts() -> str:
    return "`file`, `image` and an optional `name`"
