"""gov_services imports (issue 11): the files applied by the ledger and item imports

Revision ID: 5e8b1f3c7a24
Revises: 9c41d7e2a5b3
Create Date: 2026-12-02 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import coopzone.db

revision: str = '5e8b1f3c7a24'
down_revision: str | None = 'bf7c978c3973'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('gov_services_imported_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('imported_by', sa.String(length=120), nullable=False),
    sa.Column('imported_at', coopzone.db.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['window_id'], ['gov_services_window.id'], name=op.f('fk_gov_services_imported_file_window_id_gov_services_window')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_services_imported_file')),
    sa.UniqueConstraint('kind', 'sha256', name=op.f('uq_gov_services_imported_file_kind_sha256'))
    )


def downgrade() -> None:
    op.drop_table('gov_services_imported_file')
