"""kit: who staged an import file for which import (kit_staged_import), so that only that user
or one who may import into the same target downloads or confirms it

Revision ID: 3f7a2c9e1d84
Revises: 9db88c1ed09f
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import coopzone.db

revision: str = "3f7a2c9e1d84"
down_revision: str | None = "9db88c1ed09f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kit_staged_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=60), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("staged_at", coopzone.db.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["cooperation_document.id"],
            name=op.f("fk_kit_staged_import_document_id_cooperation_document")),
        sa.ForeignKeyConstraint(["user_id"], ["accounts_user.id"],
                                name=op.f("fk_kit_staged_import_user_id_accounts_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_staged_import")),
        sa.UniqueConstraint("document_id", "target", "user_id",
                            name=op.f("uq_kit_staged_import_document_id_target_user_id")),
    )
    op.create_index("ix_kit_staged_import_document_id", "kit_staged_import", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_kit_staged_import_document_id", table_name="kit_staged_import")
    op.drop_table("kit_staged_import")
