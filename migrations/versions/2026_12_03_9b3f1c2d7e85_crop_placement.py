"""Crop placement: each crop's quad (corners in picture pixels) and confidence.

Revision ID: 9b3f1c2d7e85
Revises: 5c1e7a9d2b40
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b3f1c2d7e85"
down_revision: str | None = "5c1e7a9d2b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quad", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crops", schema=None) as batch_op:
        batch_op.drop_column("confidence")
        batch_op.drop_column("quad")
