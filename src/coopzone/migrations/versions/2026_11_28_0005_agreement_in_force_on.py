"""cooperation agreements: the date they came into force

Revision ID: 8d41b6c0e2a9
Revises: 3f0c2a9e5b71
Create Date: 2026-11-28 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d41b6c0e2a9"
down_revision: str | None = "3f0c2a9e5b71"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cooperation_agreement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_force_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cooperation_agreement", schema=None) as batch_op:
        batch_op.drop_column("in_force_on")
