"""The audit log: who did what, recorded in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from api.tables import AuditEvent, utcnow


def record(
    session: Session,
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one event; it is kept only if the surrounding transaction commits."""
    session.add(
        AuditEvent(at=utcnow(), actor=actor, action=action, target=target, detail=detail or {})
    )


def list_events(
    session: Session, *, limit: int, offset: int, actor: str | None, action: str | None
) -> tuple[Sequence[AuditEvent], int]:
    """A page of events, newest first; ``action`` may end in ``*`` (e.g. ``user.*``)."""
    condition: ColumnElement[bool] = true()
    if actor:
        condition = condition & (AuditEvent.actor == actor)
    if action:
        if action.endswith("*"):
            condition = condition & AuditEvent.action.startswith(action[:-1], autoescape=True)
        else:
            condition = condition & (AuditEvent.action == action)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(condition)) or 0
    events = session.scalars(
        select(AuditEvent)
        .where(condition)
        .order_by(AuditEvent.at.desc(), AuditEvent.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return events, total
