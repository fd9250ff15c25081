"""What the samples of a model are worked with: the app's parts (the samples store, the
reference features, the limits of a request) and the previews cut lately."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from api.imaging.geometry import Box
from api.services.extraction.alignment import ReferenceCache
from api.storage import Storage

# (sample, placement key, page, box in reference pixels): a crop cut now, as a preview
PreviewKey = tuple[uuid.UUID, str, int, Box]


class PreviewCache:
    """Previews of crops cut lately, in memory, at most ``capacity`` bytes.

    A check cuts the crops it compares and keeps their previews here, so that showing
    them right after costs no decoding; a preview asked for later, or of another process,
    is cut again (the same crop: the key names all it depends on).
    """

    def __init__(self, capacity: int = 32 * 1024 * 1024) -> None:
        self._capacity = capacity
        self._size = 0
        self._items: OrderedDict[PreviewKey, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: PreviewKey) -> bytes | None:
        """The preview kept under ``key``, if any."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: PreviewKey, data: bytes) -> None:
        """Keep ``data`` under ``key``, forgetting the least recently used past the capacity."""
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self._size -= len(previous)
            self._items[key] = data
            self._size += len(data)
            while self._size > self._capacity and self._items:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)


@dataclass(frozen=True)
class SampleParts:
    """What the samples service needs from the application."""

    sessions: sessionmaker[Session]
    # where samples are kept (``<model id>/<sample id>/…``)
    store: Storage
    references: ReferenceCache
    max_pixels: int
    max_pages: int
    max_request_pixels: int
    # extractions' kept pictures, which a sample can be added from
    sources: Storage | None = None
    previews: PreviewCache = field(default_factory=PreviewCache)
