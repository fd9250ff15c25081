"""Folders and the files filed in them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import Page


class FolderRead(BaseModel):
    path: str = Field(examples=["invoices/totals"])
    file_count: int
    bytes: int
    url: str = Field(description="The folder's files.")


class FileRead(BaseModel):
    path: str = Field(examples=["signatures/scan-0042_signature.png"])
    name: str
    folder: str
    bytes: int
    created_at: datetime
    url: str


FolderList = Page[FolderRead]
FileList = Page[FileRead]
