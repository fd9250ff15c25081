"""Choosing a storage: local folders by default, an S3-compatible bucket by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.storage.base import Storage
from api.storage.local import LocalStorage
from api.storage.s3 import S3Storage, parse_s3_url

# Connections an S3 client keeps open: every crop of a picture and the picture itself are
# written side by side (the filing threads of api.services.extraction.filing), by a few
# requests at once.
S3_CONNECTIONS = 32


def s3_client(endpoint_url: str | None) -> Any:
    """A boto3 S3 client: the standard AWS credential chain, short timeouts, few retries,
    a connection for each write in flight.

    Checksums are sent where the operation requires one, not on every PUT: botocore's
    default since 1.36 sends each body as ``aws-chunked`` with a CRC32 trailer, which
    costs a fifth of the client's CPU per crop and which several S3-compatible stores do
    not accept; integrity in transit is TLS's (and each body is still signed where the
    endpoint is plain HTTP)."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=3,
        read_timeout=30,
        retries={"max_attempts": 3, "mode": "standard"},
        max_pool_connections=S3_CONNECTIONS,
        request_checksum_calculation="when_required",
        s3={"addressing_style": "path"} if endpoint_url else {},
    )
    return boto3.client("s3", endpoint_url=endpoint_url, config=config)


def open_storage(
    url: str | None, *, area: str, local_root: Path, endpoint_url: str | None = None
) -> Storage:
    """The storage of one area (``outputs``, ``references``…).

    With no ``url``: the folder ``local_root/area``. With ``s3://bucket/prefix``: the keys
    ``prefix/area/…`` of that bucket, so the layout mirrors the data folder.
    """
    if not url:
        return LocalStorage(local_root / area)
    bucket, prefix = parse_s3_url(url)
    return S3Storage(s3_client(endpoint_url), bucket, f"{prefix}{area}/")
