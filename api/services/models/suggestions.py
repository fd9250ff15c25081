"""Zone suggestions of a model's reference pages, computed once per page picture and
kept beside it in the references store (its name is its content's hash) and in memory."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Collection

from sqlalchemy.orm import Session, sessionmaker

from api.db import session_scope
from api.imaging.decode import decode_picture
from api.imaging.suggest.results import PageSuggestions
from api.services.models.catalog import load_model
from api.services.models.references import reference_page, suggestions_path
from api.storage import FileNotFoundInStorage, Storage

# Finding the suggestions of a page takes a few hundred milliseconds and about 100 MB; a
# burst of first requests waits for its turn rather than taking every core and more.
COMPUTING_AT_ONCE = 2


class SuggestionCache:
    """The suggestions of reference pictures: read from beside the picture, or computed
    (at most ``COMPUTING_AT_ONCE`` at a time) and kept there; the last few in memory."""

    def __init__(self, storage: Storage, *, max_pixels: int, capacity: int = 64) -> None:
        self._storage = storage
        self._max_pixels = max_pixels
        self._capacity = capacity
        self._memory: OrderedDict[str, PageSuggestions] = OrderedDict()
        self._lock = threading.Lock()
        self._computing = threading.BoundedSemaphore(COMPUTING_AT_ONCE)

    def of(self, reference_path: str) -> PageSuggestions:
        """The suggestions of the reference picture at ``reference_path`` in the store."""
        with self._lock:
            cached = self._memory.get(reference_path)
            if cached is not None:
                self._memory.move_to_end(reference_path)
                return cached
        found = self._load_or_compute(reference_path)
        with self._lock:
            self._memory[reference_path] = found
            while len(self._memory) > self._capacity:
                self._memory.popitem(last=False)
        return found

    def _load_or_compute(self, reference_path: str) -> PageSuggestions:
        sidecar = suggestions_path(reference_path)
        damaged = False
        try:
            return PageSuggestions.from_bytes(self._storage.read(sidecar))
        except FileNotFoundInStorage:
            pass
        except ValueError:
            damaged = True  # written by another version, or damaged: compute again
        with self._computing:
            # OpenCV costs every worker memory at start: imported once it is needed.
            from api.imaging.suggest.page import suggest

            picture = decode_picture(
                self._storage.read(reference_path), max_pixels=self._max_pixels
            )
            found = suggest(picture.image)
        if damaged:
            with contextlib.suppress(FileNotFoundInStorage):  # another got there first
                self._storage.delete(sidecar)
        # another instance may have written the same suggestions meanwhile: both are equal
        self._storage.put_exact(sidecar, found.to_bytes())
        return found


def page_suggestions(
    sessions: sessionmaker[Session],
    cache: SuggestionCache,
    model_id: uuid.UUID,
    page: int,
    *,
    only: Collection[uuid.UUID] | None = None,
) -> PageSuggestions:
    """The zones suggested on page ``page`` (from 1) of the model's reference and its
    printed lines; 404 for a model (outside ``only``) or a page that does not exist. The
    model is read in a short transaction of its own: none is held while pixels are read."""
    with session_scope(sessions) as session:
        path = reference_page(load_model(session, model_id, only=only), page).path
    return cache.of(path)
