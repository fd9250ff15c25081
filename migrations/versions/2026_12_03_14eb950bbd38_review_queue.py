"""The review queue: pictures refused as not matching, kept for a person to place.

Also a model's on_refusal setting ("review" by default, or "reject").

Revision ID: 14eb950bbd38
Revises: 9b3f1c2d7e85
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "14eb950bbd38"
down_revision: str | None = "9b3f1c2d7e85"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("model_id", sa.Uuid(), nullable=True),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=True),
        sa.Column("guess", sa.JSON(), nullable=True),
        sa.Column("source_filename", sa.String(length=300), nullable=False),
        sa.Column("source_format", sa.String(length=16), nullable=False),
        sa.Column("source_width", sa.Integer(), nullable=False),
        sa.Column("source_height", sa.Integer(), nullable=False),
        sa.Column("source_bytes", sa.Integer(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("picture_path", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extraction_id", sa.Uuid(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["extraction_id"],
            ["extractions.id"],
            name=op.f("fk_reviews_extraction_id_extractions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["models.id"],
            name=op.f("fk_reviews_model_id_models"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_reviews_idempotency_key")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviews_model_id"), ["model_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviews_status"), ["status"], unique=False)

    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("on_refusal", sa.String(length=16), server_default="review", nullable=False)
        )
    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_path", sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column("source_kept_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_extractions_source_kept_until"), ["source_kept_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extractions_source_kept_until"))
        batch_op.drop_column("source_kept_until")
        batch_op.drop_column("source_path")

    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.drop_column("on_refusal")

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_status"))
        batch_op.drop_index(batch_op.f("ix_reviews_model_id"))
        batch_op.drop_index(batch_op.f("ix_reviews_created_at"))

    op.drop_table("reviews")
