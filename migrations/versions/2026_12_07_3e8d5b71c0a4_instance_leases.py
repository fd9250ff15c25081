"""Leases: the live instances, and the holder of pending intents, requests and review claims.

Every process renews a row of its own in ``instances``; a pending extraction, idempotent
request or review item being resolved names its holder. Once a holder's heartbeat is
older than the lease, another instance sweeps or takes over its work at once, instead of
after the intent timeout. Rows pending from before have no holder and are left to that
timeout.

Revision ID: 3e8d5b71c0a4
Revises: c4a17e0b9d52
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3e8d5b71c0a4"
down_revision: str | None = "c4a17e0b9d52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instances")),
    )
    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder", sa.Uuid(), nullable=True))
    with op.batch_alter_table("idempotent_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder", sa.Uuid(), nullable=True))
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_column("holder")
    with op.batch_alter_table("idempotent_requests", schema=None) as batch_op:
        batch_op.drop_column("holder")
    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.drop_column("holder")
    op.drop_table("instances")
