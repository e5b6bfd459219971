"""kit: the history of two-party statements (every domain's), kit_statement_event

Revision ID: 30063aa6b084
Revises: 8e4d2b61c7f0
Create Date: 2026-12-02 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import coopzone.db

revision: str = "30063aa6b084"
down_revision: str | None = "8e4d2b61c7f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kit_statement_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("book", sa.String(length=60), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=10), nullable=False),
        sa.Column("to_state", sa.String(length=10), nullable=False),
        sa.Column("party_code", sa.String(length=6), nullable=True),
        sa.Column("amount", coopzone.db.Money(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", coopzone.db.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_statement_event")),
    )
    with op.batch_alter_table("kit_statement_event", schema=None) as batch_op:
        batch_op.create_index("ix_kit_statement_event_book_statement",
                              ["book", "statement_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("kit_statement_event", schema=None) as batch_op:
        batch_op.drop_index("ix_kit_statement_event_book_statement")
    op.drop_table("kit_statement_event")
