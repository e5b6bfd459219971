"""concurrency: optimistic lock versions; indexes for a section's readings version

Statements and their adjustments (confirm, pay, close, settle), cooperation agreements (status)
and leading-group tasks (start, submit, accept, return) get ``lock_version``, checked and bumped
by every UPDATE (SQLAlchemy ``version_id_col``). Readings get (section, batch) and (section, id)
indexes: the newest batch and reading of a section key the per-section caches.

Revision ID: f6e7cb752cdb
Revises: 8d41b6c0e2a9
Create Date: 2026-12-01 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f6e7cb752cdb"
down_revision: str | None = "8d41b6c0e2a9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("ecology_statement", "ecology_statement_change", "cooperation_agreement",
          "cooperation_task")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("lock_version", sa.Integer(), nullable=False,
                                          server_default=sa.text("1")))
    with op.batch_alter_table("ecology_reading", schema=None) as batch_op:
        batch_op.create_index("ix_ecology_reading_section_batch", ["section_id", "batch_id"])
        batch_op.create_index("ix_ecology_reading_section_newest", ["section_id", "id"])


def downgrade() -> None:
    with op.batch_alter_table("ecology_reading", schema=None) as batch_op:
        batch_op.drop_index("ix_ecology_reading_section_newest")
        batch_op.drop_index("ix_ecology_reading_section_batch")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("lock_version")
