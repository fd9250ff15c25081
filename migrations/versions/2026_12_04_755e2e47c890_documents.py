"""Documents: a model's reference pages, the page of zones, crops and extractions.

Also the answers given to requests of several pictures, kept per caller and
Idempotency-Key so that a retry gets the same answer.

Revision ID: 755e2e47c890
Revises: 14eb950bbd38
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "755e2e47c890"
down_revision: str | None = "14eb950bbd38"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotent_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("caller", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotent_requests")),
        sa.UniqueConstraint("caller", "key", name=op.f("uq_idempotent_requests_caller_key")),
    )
    with op.batch_alter_table("crops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source_pages", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("source_page", sa.Integer(), nullable=True))

    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extra_pages", sa.JSON(), nullable=True))

    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.drop_column("page")

    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.drop_column("extra_pages")

    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.drop_column("source_page")
        batch_op.drop_column("source_pages")

    with op.batch_alter_table("crops", schema=None) as batch_op:
        batch_op.drop_column("page")

    op.drop_table("idempotent_requests")
