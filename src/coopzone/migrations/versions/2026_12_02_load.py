"""data versions: one counter per topic, bumped with every write, read by the caches

Revision ID: c41e7a9b2d6f
Revises: 5b2e9c7d41a0
Create Date: 2026-12-02 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c41e7a9b2d6f"
down_revision: str | None = "5b2e9c7d41a0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kit_data_version",
        sa.Column("topic", sa.String(length=80), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("topic", name=op.f("pk_kit_data_version")),
    )


def downgrade() -> None:
    op.drop_table("kit_data_version")
