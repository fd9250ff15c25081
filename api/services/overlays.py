"""Overlays drawn once: the picture of an extraction or of a review item with its zones
outlined, drawn the first time it is asked for and kept beside that picture — one per
(item, page, model version) — until the picture goes, and then it goes too.

Keeping follows the rule of filed crops, names before bytes. An overlay is recorded
first, in a transaction that locks its item's row and finds it still keeping its picture
(an extraction's source not yet expired, a review item still open); its file is written
after. Removing a picture locks the same row, drops the records and then removes the
files; a drawer whose record was dropped meanwhile removes the file it wrote itself. So
no overlay outlives its picture, whichever of the two comes first.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session, sessionmaker

from api.db import session_scope
from api.storage import FileNotFoundInStorage, Storage
from api.tables import Extraction, Overlay, Review

log = logging.getLogger(__name__)


def overlay_path(item: uuid.UUID, page: int, model_version: int) -> str:
    """Where the overlay of one page of an item is kept, in the item's folder of its store."""
    return f"{item}/overlay-p{page}-v{model_version}.jpg"


def kept_or_drawn(
    sessions: sessionmaker[Session], store: Storage, overlay: Overlay, draw: Callable[[], bytes]
) -> bytes:
    """The overlay kept at ``overlay.path``; else ``draw()``, kept there from now on if
    its item still keeps its picture (best effort: the answer does not depend on it)."""
    try:
        return store.read(overlay.path)
    except FileNotFoundInStorage:
        pass
    drawn = draw()
    try:
        _keep(sessions, store, overlay, drawn)
    except Exception:
        log.warning("could not keep the overlay %s", overlay.path, exc_info=True)
    return drawn


def forget_extraction(session: Session, extraction_id: uuid.UUID) -> list[str]:
    """Drop the records of an extraction's overlays: the paths whose files are to be
    removed once this is committed (lock the extraction's row first)."""
    return _forget(session, Overlay.extraction_id == extraction_id)


def forget_review(session: Session, review_id: uuid.UUID) -> list[str]:
    """Drop the records of a review item's overlays, as :func:`forget_extraction`."""
    return _forget(session, Overlay.review_id == review_id)


def remove_files(store: Storage, paths: Iterable[str]) -> None:
    """Remove kept files; one already gone is no matter, one that cannot be is logged."""
    for path in paths:
        try:
            store.delete(path)
        except FileNotFoundInStorage:
            pass
        except Exception:
            log.warning("could not remove %s", path, exc_info=True)


def _keep(sessions: sessionmaker[Session], store: Storage, overlay: Overlay, data: bytes) -> None:
    page, path = overlay.page, overlay.path
    with session_scope(sessions) as session:
        if not _still_keeps_picture(session, overlay):
            return
        # an item keeps one overlay a page: the one of its model's latest version
        older = _forget(session, _owner(overlay), Overlay.page == page, Overlay.path != path)
        if session.get(Overlay, path) is None:
            session.add(overlay)
    remove_files(store, older)
    store.put_exact(path, data)  # None when a concurrent drawer wrote it first: as good
    with session_scope(sessions) as session:
        dropped = session.get(Overlay, path) is None
    if dropped:  # the picture went while the overlay was being written
        remove_files(store, [path])


def _still_keeps_picture(session: Session, overlay: Overlay) -> bool:
    """Whether the overlay's item still keeps its picture, its row locked until commit."""
    if overlay.extraction_id is not None:
        source = session.scalar(
            select(Extraction.source_path)
            .where(Extraction.id == overlay.extraction_id)
            .with_for_update()
        )
        return source is not None
    status = session.scalar(
        select(Review.status).where(Review.id == overlay.review_id).with_for_update()
    )
    return status == "open"


def _owner(overlay: Overlay) -> ColumnElement[bool]:
    if overlay.extraction_id is not None:
        return Overlay.extraction_id == overlay.extraction_id
    return Overlay.review_id == overlay.review_id


def _forget(session: Session, *conditions: ColumnElement[bool]) -> list[str]:
    paths = list(session.scalars(select(Overlay.path).where(*conditions)).all())
    if paths:
        session.execute(delete(Overlay).where(Overlay.path.in_(paths)))
    return paths
