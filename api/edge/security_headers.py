"""The headers every answer carries, and the Content-Security-Policy of each kind of page.

DESIGN "Limits before trust": every answer is ``nosniff`` and ``same-origin`` as a
referrer; the web app may load only its own files (and pictures from ``blob:`` previews,
``data:`` and, with presigned downloads on, the store); the docs pages the same, with the
inline styles and the ``blob:`` worker Swagger UI and ReDoc use. Any other answer (JSON,
problems, files) is no page at all: nothing may run or load in it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from api.storage import Storage

COMMON_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "worker-src blob:; object-src 'none'; frame-ancestors 'none'"
)


def app_policy(store_origin: str | None = None) -> str:
    """The web app's policy; ``store_origin`` is where presigned downloads point."""
    images = " ".join(("'self'", "blob:", "data:", *((store_origin,) if store_origin else ())))
    return f"default-src 'self'; img-src {images}; object-src 'none'; frame-ancestors 'none'"


def store_origin(storage: Storage) -> str | None:
    """The origin of the store's presigned URLs, or None when it hands out none."""
    url = storage.presigned_url("zonecut/origin.png", 60)  # signed locally, nothing is sent
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
