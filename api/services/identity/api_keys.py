"""API keys of systems: made with a secret shown once, listed, revoked."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import errors
from api.services.identity.credentials import (
    API_KEY_PREFIX,
    Role,
    new_secret,
    secret_hash,
)
from api.services.identity.names import check_name
from api.tables import ApiKey, Model, utcnow

SHOWN_PREFIX_LENGTH = len(API_KEY_PREFIX) + 8


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str


def _name_key(name: str) -> str:
    return name.strip().casefold()


def create_key(
    session: Session,
    *,
    name: str,
    role: Role,
    models: Sequence[uuid.UUID] | None,
    expires_at: datetime | None,
    created_by: str,
) -> NewKey:
    """A new key; its secret is in the answer and nowhere else."""
    check_name(name, "name", "key")
    key_name = _name_key(name)
    active = select(ApiKey.id).where(ApiKey.name_key == key_name, ApiKey.revoked_at.is_(None))
    if session.scalar(active) is not None:
        raise errors.Conflict(f"an API key named '{name}' exists; revoke it or choose another name")
    if expires_at is not None and expires_at <= utcnow():
        raise errors.validation_failed(
            [errors.FieldError(field="expires_at", message="must be in the future")]
        )
    scope: list[str] | None = None
    if models is not None:
        wanted = list(dict.fromkeys(models))
        known = set(session.scalars(select(Model.id).where(Model.id.in_(wanted))).all())
        missing = [str(m) for m in wanted if m not in known]
        if missing:
            raise errors.validation_failed(
                [errors.FieldError(field="models", message=f"no such model: {', '.join(missing)}")]
            )
        scope = [str(m) for m in wanted]
    secret = new_secret(API_KEY_PREFIX)
    key = ApiKey(
        id=uuid.uuid4(),
        name=name.strip(),
        name_key=key_name,
        role=role,
        models=scope,
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        secret_hash=secret_hash(secret),
        created_by=created_by,
        created_at=utcnow(),
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    return NewKey(key, secret)


def list_keys(session: Session, *, limit: int, offset: int) -> tuple[Sequence[ApiKey], int]:
    """A page of keys, newest first (revoked ones too), and the total."""
    total = session.scalar(select(func.count()).select_from(ApiKey)) or 0
    keys = session.scalars(
        select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id).limit(limit).offset(offset)
    ).all()
    return keys, total


def load_key(session: Session, key_id: uuid.UUID) -> ApiKey:
    """One key, or 404."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise errors.NotFound(f"API key {key_id} does not exist")
    return key


def revoke_key(session: Session, key: ApiKey) -> bool:
    """Stop a key working from the next request; False if it was revoked already."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    return True
