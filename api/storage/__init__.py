"""File placement: one :class:`Storage` interface, local folders now, and the name rules.

``api.storage`` knows nothing of HTTP or the database and imports nothing else from ``api``.
"""

from __future__ import annotations

from api.storage.base import (
    FileNotFoundInStorage,
    FolderInfo,
    Storage,
    StorageError,
    StorageUnavailable,
    StoredFile,
)
from api.storage.local import TEMP_PREFIX, LocalStorage
from api.storage.names import (
    DEFAULT_FILENAME_TEMPLATE,
    FILENAME_FIELDS,
    MAX_FIELD_BYTES,
    MAX_FOLDER_SEGMENTS,
    MAX_SEGMENT_BYTES,
    MAX_STEM_BYTES,
    MAX_TEMPLATE_LENGTH,
    InvalidName,
    check_extension,
    check_file_name,
    normalize_folder,
    numbered_file_name,
    render_filename,
    safe_component,
    source_stem,
    split_file_path,
    validate_template,
)

__all__ = [
    "DEFAULT_FILENAME_TEMPLATE",
    "FILENAME_FIELDS",
    "MAX_FIELD_BYTES",
    "MAX_FOLDER_SEGMENTS",
    "MAX_SEGMENT_BYTES",
    "MAX_STEM_BYTES",
    "MAX_TEMPLATE_LENGTH",
    "TEMP_PREFIX",
    "FileNotFoundInStorage",
    "FolderInfo",
    "InvalidName",
    "LocalStorage",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "StoredFile",
    "check_extension",
    "check_file_name",
    "normalize_folder",
    "numbered_file_name",
    "render_filename",
    "safe_component",
    "source_stem",
    "split_file_path",
    "validate_template",
]
