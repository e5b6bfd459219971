"""lists: index the columns the lists filter and sort by that had none (organisation kind,
project status, statement year)

Revision ID: 6a15ca98987f
Revises: 5b2e9c7d41a0
Create Date: 2026-12-02 01:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6a15ca98987f"
down_revision: str | None = "5b2e9c7d41a0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_accounts_organisation_kind", "accounts_organisation", "kind"),
    ("ix_cooperation_project_status", "cooperation_project", "status"),
    ("ix_ecology_statement_year", "ecology_statement", "year"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column], unique=False)


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
