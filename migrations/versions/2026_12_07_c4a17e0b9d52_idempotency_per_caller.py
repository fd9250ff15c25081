"""Idempotency-Keys per caller: every request's key in idempotent_requests, by id.

Until now the key of a request of one picture was kept on its extraction, and that of a
refused picture on its review item, unique across all callers: one caller's key blocked
another's request, and a second caller sending the same key and picture was handed the
first one's extraction. Requests of several pictures were kept per caller already, but
by name, which a new user or key can be given again.

Upgrade: the keys of extractions and review items move into idempotent_requests as the
answers they stand for, and every caller becomes an id: ``user:<id>``, ``key:<id>``,
``bootstrap`` or ``cli``. A key name is resolved to the key of that name that was live
when the request was made. Keys of callers no longer known (a deleted user or key,
records from before access control) are dropped: nobody can send them again.

Downgrade: the keys of requests of one picture go back onto their extractions and review
items (the oldest first, where two callers used the same key), and callers become names
again.

Revision ID: c4a17e0b9d52
Revises: 9f323899d35e
Create Date: 2026-12-07
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "c4a17e0b9d52"
down_revision: str | None = "9f323899d35e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROBLEM_TYPE_BASE = "https://zonecut.dev/problems/"
REFUSED_TITLE = "Picture does not match the model"
SINGLE = "single"
BOOTSTRAP = "bootstrap"
CLI = "cli"

users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("username", sa.String()),
    sa.column("username_key", sa.String()),
)
api_keys = sa.table(
    "api_keys",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("name_key", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("revoked_at", sa.DateTime(timezone=True)),
)
extractions = sa.table(
    "extractions",
    sa.column("id", sa.Uuid()),
    sa.column("status", sa.String()),
    sa.column("created_by", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("idempotency_key", sa.String()),
    sa.column("request_fingerprint", sa.String()),
)
reviews = sa.table(
    "reviews",
    sa.column("id", sa.Uuid()),
    sa.column("model_id", sa.Uuid()),
    sa.column("reason", sa.String()),
    sa.column("detail", sa.Text()),
    sa.column("figures", sa.JSON()),
    sa.column("source_sha256", sa.String()),
    sa.column("created_by", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("idempotency_key", sa.String()),
)
requests = sa.table(
    "idempotent_requests",
    sa.column("id", sa.Uuid()),
    sa.column("caller", sa.String()),
    sa.column("key", sa.String()),
    sa.column("fingerprint", sa.String()),
    sa.column("status", sa.String()),
    sa.column("answer", sa.JSON()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


class Callers:
    """Names as the records show them (a username, ``key:<name>``) and callers by id."""

    def __init__(self, connection: sa.Connection) -> None:
        self.users = {row.username_key: row for row in connection.execute(sa.select(users)).all()}
        self.users_by_id = {str(row.id): row.username for row in self.users.values()}
        self.keys = connection.execute(sa.select(api_keys)).all()
        self.keys_by_id = {str(row.id): row.name for row in self.keys}

    def caller(self, name: str | None, at: datetime) -> str | None:
        """The caller behind a name at a time; None when nobody by that name is known."""
        if not name:
            return None
        if name == f"key:{BOOTSTRAP}":
            return BOOTSTRAP
        if name == CLI:
            return CLI
        if name.startswith("key:"):
            wanted = name.removeprefix("key:").strip().casefold()
            named = [key for key in self.keys if key.name_key == wanted]
            live = [
                key
                for key in named
                if key.created_at <= at and (key.revoked_at is None or key.revoked_at > at)
            ]
            chosen = max(live or named, key=lambda key: key.created_at, default=None)
            return f"key:{chosen.id}" if chosen is not None else None
        user = self.users.get(name.strip().casefold())
        return f"user:{user.id}" if user is not None else None

    def name(self, caller: str) -> str | None:
        """The name a caller went by, as the records before this revision knew it."""
        kind, _, ident = caller.partition(":")
        if caller == BOOTSTRAP:
            return f"key:{BOOTSTRAP}"
        if caller == CLI:
            return CLI
        if kind == "user":
            return self.users_by_id.get(ident)
        if kind == "key" and ident in self.keys_by_id:
            return f"key:{self.keys_by_id[ident]}"
        return None


def _refusal_fingerprint(model_id: uuid.UUID, source_sha256: str) -> str:
    """A refused request's fingerprint, as the service makes it, for the default options
    (the only ones a review item tells)."""
    parts = [str(model_id), source_sha256, "", "", str(True)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def upgrade() -> None:
    connection = op.get_bind()
    callers = Callers(connection)
    moved: list[dict[str, Any]] = []
    taken: set[tuple[str, str]] = set()

    def keep(row: dict[str, Any]) -> None:
        if (row["caller"], row["key"]) not in taken:
            taken.add((row["caller"], row["key"]))
            moved.append(row)

    # requests of several pictures: their callers' names become ids
    for row in connection.execute(sa.select(requests)).all():
        caller = callers.caller(row.caller, row.created_at)
        connection.execute(sa.delete(requests).where(requests.c.id == row.id))
        if caller is not None:
            keep(dict(row._mapping) | {"caller": caller})
    # requests of one picture filed
    filed = connection.execute(
        sa.select(extractions)
        .where(extractions.c.idempotency_key.is_not(None), extractions.c.status == "done")
        .order_by(extractions.c.created_at)
    ).all()
    for row in filed:
        caller = callers.caller(row.created_by, row.created_at)
        if caller is not None:
            answer = {"kind": SINGLE, "extractions": [str(row.id)], "refused": []}
            keep(_request(caller, row.idempotency_key, row.request_fingerprint, answer, row))
    # requests of one picture refused and kept for review
    refused = connection.execute(
        sa.select(reviews)
        .where(reviews.c.idempotency_key.is_not(None), reviews.c.model_id.is_not(None))
        .order_by(reviews.c.created_at)
    ).all()
    for row in refused:
        caller = callers.caller(row.created_by, row.created_at)
        if caller is None:
            continue
        refusal = {
            "type": PROBLEM_TYPE_BASE + row.reason,
            "title": REFUSED_TITLE,
            "status": 422,
            "detail": row.detail,
            "review_id": str(row.id),
            "review_url": f"/api/v1/reviews/{row.id}",
        }
        answer = {"kind": SINGLE, "extractions": [], "refused": [refusal], "figures": row.figures}
        fingerprint = _refusal_fingerprint(row.model_id, row.source_sha256)
        keep(_request(caller, row.idempotency_key, fingerprint, answer, row))
    if moved:
        connection.execute(sa.insert(requests), moved)

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_constraint("uq_reviews_idempotency_key", type_="unique")
        batch_op.drop_column("idempotency_key")
    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_extractions_idempotency_key", type_="unique")
        batch_op.drop_column("request_fingerprint")
        batch_op.drop_column("idempotency_key")


def _request(
    caller: str, key: str, fingerprint: str | None, answer: dict[str, Any], row: Any
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "caller": caller,
        "key": key,
        "fingerprint": fingerprint or "",
        "status": "done",
        "answer": answer,
        "created_at": row.created_at,
    }


def downgrade() -> None:
    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("request_fingerprint", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_extractions_idempotency_key", ["idempotency_key"])
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint("uq_reviews_idempotency_key", ["idempotency_key"])

    connection = op.get_bind()
    callers = Callers(connection)
    on_extractions: set[str] = set()
    on_reviews: set[str] = set()
    named: set[tuple[str, str]] = set()
    kept = connection.execute(sa.select(requests).order_by(requests.c.created_at)).all()
    for row in kept:
        answer = row.answer or {}
        if answer.get("kind") == SINGLE or row.status != "done":
            connection.execute(sa.delete(requests).where(requests.c.id == row.id))
            if row.status == "done":
                _back_on_its_record(connection, row, answer, on_extractions, on_reviews)
            continue
        name = callers.name(row.caller)
        if name is None or (name, row.key) in named:
            connection.execute(sa.delete(requests).where(requests.c.id == row.id))
            continue
        named.add((name, row.key))
        connection.execute(sa.update(requests).where(requests.c.id == row.id).values(caller=name))


def _back_on_its_record(
    connection: sa.Connection,
    row: Any,
    answer: dict[str, Any],
    on_extractions: set[str],
    on_reviews: set[str],
) -> None:
    """A request of one picture's key, back on the extraction or review item it names
    (keys were unique across callers then: the oldest keeps it)."""
    for extraction_id in answer.get("extractions", [])[:1]:
        if row.key not in on_extractions:
            on_extractions.add(row.key)
            connection.execute(
                sa.update(extractions)
                .where(extractions.c.id == uuid.UUID(extraction_id))
                .values(idempotency_key=row.key, request_fingerprint=row.fingerprint)
            )
    for refusal in answer.get("refused", [])[:1]:
        review_id = refusal.get("review_id")
        if review_id and row.key not in on_reviews:
            on_reviews.add(row.key)
            connection.execute(
                sa.update(reviews)
                .where(reviews.c.id == uuid.UUID(review_id))
                .values(idempotency_key=row.key)
            )
