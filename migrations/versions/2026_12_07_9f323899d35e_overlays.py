"""Overlays drawn once and kept beside their picture, per item, page and model version.

Revision ID: 9f323899d35e
Revises: 7b50a76e1622
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9f323899d35e"
down_revision: str | None = "7b50a76e1622"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "overlays",
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("extraction_id", sa.Uuid(), nullable=True),
        sa.Column("review_id", sa.Uuid(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["extraction_id"],
            ["extractions.id"],
            name=op.f("fk_overlays_extraction_id_extractions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_overlays_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_overlays")),
    )
    with op.batch_alter_table("overlays", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_overlays_extraction_id"), ["extraction_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_overlays_review_id"), ["review_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("overlays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_overlays_review_id"))
        batch_op.drop_index(batch_op.f("ix_overlays_extraction_id"))
    op.drop_table("overlays")
