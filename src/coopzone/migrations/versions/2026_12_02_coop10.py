"""agreement workbooks applied: one row per confirmed file, by content hash

``cooperation_agreement_import`` keeps the SHA-256 of every agreements workbook that was
applied, so that importing the same file again adds nothing and says so (as the water files'
``ecology_import_batch`` does).

Revision ID: bf7c978c3973
Revises: 30063aa6b084
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import coopzone.db

revision: str = "bf7c978c3973"
down_revision: str | None = "9c41d7e2a5b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cooperation_agreement_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("applied_at", coopzone.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperation_agreement_import")),
        sa.UniqueConstraint("sha256", name=op.f("uq_cooperation_agreement_import_sha256")),
    )


def downgrade() -> None:
    op.drop_table("cooperation_agreement_import")
