"""Samples of a model: pictures kept to be cut again before its zones change.

Revision ID: b7d2e4a91c36
Revises: 3e8d5b71c0a4
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d2e4a91c36"
down_revision: str | None = "3e8d5b71c0a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_samples",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("model_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("thumbnail_path", sa.String(length=300), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("crops", sa.JSON(), nullable=False),
        sa.Column("extraction_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("placement_key", sa.String(length=64), nullable=True),
        sa.Column("placement", sa.JSON(), nullable=True),
        sa.Column("tiles", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["models.id"],
            name=op.f("fk_model_samples_model_id_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["extraction_id"],
            ["extractions.id"],
            name=op.f("fk_model_samples_extraction_id_extractions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_samples")),
    )
    with op.batch_alter_table("model_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_samples_model_id"), ["model_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("model_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_samples_model_id"))
    op.drop_table("model_samples")
