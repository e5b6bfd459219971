"""ecology: who monitors a section, and the review (审核) of hand-entered batches

Revision ID: 3c9e71a5d0b4
Revises: 5b2e9c7d41a0
Create Date: 2026-12-02 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import coopzone.db

revision: str = "3c9e71a5d0b4"
down_revision: str | None = "5b2e9c7d41a0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ecology_section", schema=None) as batch_op:
        batch_op.add_column(sa.Column("monitored_by", sa.String(length=20),
                                      server_default="jurisdiction", nullable=False))
        batch_op.add_column(sa.Column("monitor_org_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_ecology_section_monitor_org_id_accounts_organisation"),
            "accounts_organisation", ["monitor_org_id"], ["id"])
    with op.batch_alter_table("ecology_import_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_state", sa.String(length=10),
                                      server_default="counted", nullable=False))
        batch_op.add_column(sa.Column("review_parties", sa.String(length=60), nullable=True))
    op.create_table(
        "ecology_batch_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", coopzone.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("organisation", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["ecology_import_batch.id"],
                                name=op.f("fk_ecology_batch_review_batch_id_ecology_import_batch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecology_batch_review")),
    )
    with op.batch_alter_table("ecology_batch_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ecology_batch_review_batch_id"), ["batch_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ecology_batch_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ecology_batch_review_batch_id"))
    op.drop_table("ecology_batch_review")
    with op.batch_alter_table("ecology_import_batch", schema=None) as batch_op:
        batch_op.drop_column("review_parties")
        batch_op.drop_column("review_state")
    with op.batch_alter_table("ecology_section", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ecology_section_monitor_org_id_accounts_organisation"),
            type_="foreignkey")
        batch_op.drop_column("monitor_org_id")
        batch_op.drop_column("monitored_by")
