"""Output folders and the files in them."""

from __future__ import annotations

import mimetypes
import tempfile
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.background import BackgroundTask

from api import errors
from api.db import SessionDep, SessionFactoryDep
from api.edge.access import Editor, OutputReader
from api.edge.deps import SettingsDep, StorageDep
from api.edge.presenters import content_disposition, file_read, folder_read
from api.edge.problems import problem_responses
from api.schemas.common import MAX_OFFSET
from api.schemas.folders import FileList, FolderList
from api.services import audit, outputs

router = APIRouter(tags=["folders"])

FolderInPath = Annotated[str, Path(description="A folder such as `invoices/totals`.")]
FilePath = Annotated[str, Path(description="A file such as `signatures/scan_signature.png`.")]
BINARY = {"schema": {"type": "string", "format": "binary"}}
PRESIGNED_SECONDS = 60


@router.get(
    "/folders",
    operation_id="listFolders",
    summary="List folders",
    description="Every folder holding files, with its file count and size.",
    responses=problem_responses(),
)
def list_folders(
    _reader: OutputReader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> FolderList:
    folders = outputs.list_folders(session)
    return FolderList(
        items=[folder_read(f) for f in folders[offset : offset + limit]],
        total=len(folders),
        limit=limit,
        offset=offset,
    )


@router.get(
    "/folders/{folder:path}/files",
    operation_id="listFolderFiles",
    summary="List a folder's files",
    description="The files directly in the folder, newest first, with download URLs.",
    responses=problem_responses(errors.NotFound),
)
def list_folder_files(
    _reader: OutputReader,
    session: SessionDep,
    folder: FolderInPath,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> FileList:
    files = outputs.list_files(session, folder)
    return FileList(
        items=[file_read(f) for f in files[offset : offset + limit]],
        total=len(files),
        limit=limit,
        offset=offset,
    )


@router.get(
    "/folders/{folder:path}/archive",
    operation_id="downloadFolderArchive",
    summary="Download a folder as ZIP",
    description="Every file of the folder and its subfolders, as one ZIP.",
    response_class=StreamingResponse,
    responses=problem_responses(
        errors.NotFound, success={200: {"content": {"application/zip": BINARY}}}
    ),
)
def download_folder_archive(
    _reader: OutputReader, sessions: SessionFactoryDep, storage: StorageDep, folder: FolderInPath
) -> StreamingResponse:
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it when sent
    try:
        outputs.write_archive(sessions, storage, folder, spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    name = folder.strip("/").replace("/", "_")
    return StreamingResponse(
        iter(lambda: spool.read(1 << 20), b""),
        media_type="application/zip",
        headers={"Content-Disposition": content_disposition(f"{name}.zip")},
        background=BackgroundTask(spool.close),
    )


@router.get(
    "/files/{path:path}",
    operation_id="downloadFile",
    summary="Download a file",
    description="One output file, streamed from the storage with the caller's credentials "
    "(or, with ZONECUT_S3_PRESIGNED_DOWNLOADS, a 307 to a presigned URL valid for 60 s).",
    response_class=StreamingResponse,
    responses=problem_responses(
        errors.NotFound,
        success={
            200: {"content": {"image/png": BINARY, "image/jpeg": BINARY, "image/webp": BINARY}},
            307: {"description": "With presigned downloads on: the file's URL in the store."},
        },
    ),
)
def download_file(
    _reader: OutputReader,
    session: SessionDep,
    storage: StorageDep,
    settings: SettingsDep,
    path: FilePath,
) -> Response:
    if settings.s3_presigned_downloads:
        stored = outputs.file_info(session, path)
        url = storage.presigned_url(stored.path, PRESIGNED_SECONDS)
        if url is not None:
            return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    stored, chunks = outputs.open_file(session, storage, path)
    media_type = mimetypes.guess_type(stored.name)[0] or "application/octet-stream"
    return StreamingResponse(
        chunks,
        media_type=media_type,
        headers={
            "Content-Length": str(stored.bytes),
            "Content-Disposition": content_disposition(stored.name, "inline"),
        },
    )


@router.delete(
    "/files/{path:path}",
    status_code=204,
    operation_id="deleteFile",
    summary="Delete a file",
    description="Removes one output file; its extraction record stays.",
    responses=problem_responses(errors.NotFound),
)
def delete_file(
    editor: Editor, session: SessionDep, storage: StorageDep, path: FilePath
) -> Response:
    outputs.delete_file(session, storage, path)
    audit.record(session, editor.actor, "file.delete", path)
    return Response(status_code=204)
