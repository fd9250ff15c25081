"""The storage on an S3-compatible object store: ``s3://bucket/prefix``.

AWS S3, MinIO, Cloudflare R2, Ceph and others speak the same API; boto3 is the client
(the reference implementation of it, with the standard AWS credential chain). A new
object is written with ``If-None-Match: *``, so an existing object is never overwritten,
even by another instance writing the same name at the same moment: the store answers 412
and :meth:`S3Storage.put_exact` returns None, writing nothing. The storage never picks a
name itself: the services reserve names in the database, and an extraction whose write
finds its name taken reserves the next free one and writes there. A single PUT is
atomic, so a reader never sees half an object. What lives where is recorded in the
database, so nothing lists the bucket.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, TypeVar

from api.storage.base import FileNotFoundInStorage, StorageUnavailable, StoredFile
from api.storage.names import split_file_path

__all__ = ["S3Storage", "parse_s3_url"]

T = TypeVar("T")
_CHUNK = 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound"}
_TAKEN = {"412", "PreconditionFailed", "409", "ConditionalRequestConflict"}


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` as ``("bucket", "some/prefix/")``."""
    if not url.startswith("s3://"):
        raise ValueError(f"storage URL {url!r} must start with s3://")
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise ValueError(f"storage URL {url!r} names no bucket")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


class S3Storage:
    """Files under ``prefix`` in ``bucket``; paths are checked like on disk."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix

    def _key(self, path: str) -> tuple[str, str, str]:
        folder, name = split_file_path(path)
        return folder, name, f"{self.prefix}{folder}/{name}"

    def _call(self, action: Callable[[], T], path: str = "") -> T:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return action()
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise FileNotFoundInStorage(f"file '{path}' not found") from exc
            if code in _TAKEN:
                raise _Taken from exc
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if status >= 500 or code in ("SlowDown", "ServiceUnavailable"):
                raise StorageUnavailable(f"the object store answers {code}") from exc
            raise
        except BotoCoreError as exc:  # cannot connect, timed out, connection dropped
            raise StorageUnavailable(f"the object store cannot be reached: {exc}") from exc

    def exists(self, path: str) -> bool:
        """Whether an object is at ``path``."""
        _, _, key = self._key(path)
        try:
            self._call(lambda: self._client.head_object(Bucket=self.bucket, Key=key), path)
        except FileNotFoundInStorage:
            return False
        return True

    def put_exact(self, path: str, data: bytes) -> StoredFile | None:
        """Write ``data`` at ``path`` unless an object is there (None then)."""
        folder, name, key = self._key(path)
        try:
            self._call(
                lambda: self._client.put_object(
                    Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*"
                ),
                path,
            )
        except _Taken:
            return None
        return StoredFile(f"{folder}/{name}", name, folder, len(data), datetime.now(UTC))

    def put_file(self, path: str, source: BinaryIO) -> StoredFile | None:
        """Stream ``source`` (from where it stands) to ``path`` in one conditional PUT,
        unless an object is there (None then). Objects of up to 5 GB, a single PUT's limit."""
        folder, name, key = self._key(path)
        start = source.tell()
        size = source.seek(0, io.SEEK_END) - start
        source.seek(start)
        try:
            self._call(
                lambda: self._client.put_object(
                    Bucket=self.bucket, Key=key, Body=source, ContentLength=size, IfNoneMatch="*"
                ),
                path,
            )
        except _Taken:
            return None
        return StoredFile(f"{folder}/{name}", name, folder, size, datetime.now(UTC))

    def read(self, path: str) -> bytes:
        """The whole object at ``path``."""
        _, _, key = self._key(path)
        answer = self._call(lambda: self._client.get_object(Bucket=self.bucket, Key=key), path)
        data: bytes = self._call(lambda: answer["Body"].read(), path)
        return data

    def stream(self, path: str) -> Iterator[bytes]:
        """The object at ``path`` in chunks; a missing object is raised before the first."""
        _, _, key = self._key(path)
        answer = self._call(lambda: self._client.get_object(Bucket=self.bucket, Key=key), path)
        return iter(answer["Body"].iter_chunks(_CHUNK))

    def delete(self, path: str) -> None:
        """Remove the object at ``path``; :class:`FileNotFoundInStorage` when there is none."""
        _, _, key = self._key(path)
        self._call(lambda: self._client.head_object(Bucket=self.bucket, Key=key), path)
        self._call(lambda: self._client.delete_object(Bucket=self.bucket, Key=key), path)

    def presigned_url(self, path: str, expires_in: int) -> str | None:
        """A short-lived signed GET of the object (checked like any path)."""
        _, _, key = self._key(path)
        url: str = self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url

    def check(self) -> None:
        """Raise :class:`StorageUnavailable` unless the bucket answers."""
        try:
            self._call(lambda: self._client.head_bucket(Bucket=self.bucket))
        except FileNotFoundInStorage as exc:
            raise StorageUnavailable(f"bucket '{self.bucket}' does not exist") from exc

    def sweep_temp_files(self, older_than: timedelta) -> int:
        """Nothing to sweep: an object store has no half-written objects."""
        return 0


class _Taken(Exception):
    """The conditional write found an object at the key."""
