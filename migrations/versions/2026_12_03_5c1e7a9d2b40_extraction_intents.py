"""Extraction intents and the register of filed outputs.

An extraction is recorded as ``pending`` with its file names reserved before any byte is
written, so an instance that dies mid-write leaves an intent any instance can sweep; the
files filed are registered in ``output_files``, which folders and files are listed from
(a bucket is never listed). Existing local outputs are registered at the first start.

Revision ID: 5c1e7a9d2b40
Revises: afbdae6536a3
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e7a9d2b40"
down_revision: str | None = "afbdae6536a3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="done", nullable=False)
        )
    op.create_table(
        "file_reservations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("path", sa.String(length=1600), nullable=False),
        sa.Column("extraction_id", sa.Uuid(), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["extraction_id"],
            ["extractions.id"],
            name=op.f("fk_file_reservations_extraction_id_extractions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_reservations")),
        sa.UniqueConstraint("path", name=op.f("uq_file_reservations_path")),
    )
    with op.batch_alter_table("file_reservations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_file_reservations_extraction_id"), ["extraction_id"], unique=False
        )
    op.create_table(
        "output_files",
        sa.Column("path", sa.String(length=1600), nullable=False),
        sa.Column("folder", sa.String(length=1300), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("extraction_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["extraction_id"],
            ["extractions.id"],
            name=op.f("fk_output_files_extraction_id_extractions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_output_files")),
    )
    with op.batch_alter_table("output_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_output_files_folder"), ["folder"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_output_files_extraction_id"), ["extraction_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("output_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_output_files_extraction_id"))
        batch_op.drop_index(batch_op.f("ix_output_files_folder"))
    op.drop_table("output_files")
    with op.batch_alter_table("file_reservations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_file_reservations_extraction_id"))
    op.drop_table("file_reservations")
    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.drop_column("status")
