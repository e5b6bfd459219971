"""ecology sections: the day the station started (readings before it are refused)

Revision ID: 997ff305de9e
Revises: 8d41b6c0e2a9
Create Date: 2026-12-01 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "997ff305de9e"
down_revision: str | None = "8d41b6c0e2a9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ecology_section", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ecology_section", schema=None) as batch_op:
        batch_op.drop_column("started_on")
