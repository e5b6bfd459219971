"""compensation ledger: stored agreement versions, statements, lines, changes

Revision ID: a4c1e0d2b7f3
Revises: cccd27880fcc
Create Date: 2026-11-28 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import coopzone.db

revision: str = 'a4c1e0d2b7f3'
down_revision: str | None = 'cccd27880fcc'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ecology_agreement_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.String(length=60), nullable=False),
    sa.Column('series', sa.String(length=60), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('declared_version', sa.String(length=60), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('created_at', coopzone.db.AwareDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ecology_agreement_version')),
    sa.UniqueConstraint('agreement_id', 'version_no', name=op.f('uq_ecology_agreement_version_agreement_id_version_no'))
    )
    with op.batch_alter_table('ecology_agreement_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ecology_agreement_version_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ecology_agreement_version_series'), ['series'], unique=False)

    op.create_table('ecology_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series', sa.String(length=60), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('party_a', sa.String(length=6), nullable=False),
    sa.Column('party_b', sa.String(length=6), nullable=False),
    sa.Column('payer_code', sa.String(length=6), nullable=False),
    sa.Column('payee_code', sa.String(length=6), nullable=False),
    sa.Column('amount', coopzone.db.Money(), nullable=False),
    sa.Column('gross_payer_to_payee', coopzone.db.Money(), nullable=False),
    sa.Column('gross_payee_to_payer', coopzone.db.Money(), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('through', sa.String(length=7), nullable=False),
    sa.Column('held', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('agreement_versions', sa.JSON(), nullable=False),
    sa.Column('computed_at', coopzone.db.AwareDateTime(timezone=True), nullable=False),
    sa.Column('payer_confirmed_at', coopzone.db.AwareDateTime(timezone=True), nullable=True),
    sa.Column('payer_confirmed_by', sa.String(length=120), nullable=True),
    sa.Column('payee_confirmed_at', coopzone.db.AwareDateTime(timezone=True), nullable=True),
    sa.Column('payee_confirmed_by', sa.String(length=120), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('voucher_no', sa.String(length=60), nullable=True),
    sa.Column('paid_recorded_by', sa.String(length=120), nullable=True),
    sa.Column('closed_at', coopzone.db.AwareDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=120), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ecology_statement')),
    sa.UniqueConstraint('series', 'year', 'party_a', 'party_b', name=op.f('uq_ecology_statement_series_year_party_a_party_b'))
    )
    with op.batch_alter_table('ecology_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ecology_statement_series'), ['series'], unique=False)

    op.create_table('ecology_statement_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('old_payer_code', sa.String(length=6), nullable=False),
    sa.Column('old_amount', coopzone.db.Money(), nullable=False),
    sa.Column('new_payer_code', sa.String(length=6), nullable=False),
    sa.Column('new_amount', coopzone.db.Money(), nullable=False),
    sa.Column('payer_code', sa.String(length=6), nullable=False),
    sa.Column('payee_code', sa.String(length=6), nullable=False),
    sa.Column('amount', coopzone.db.Money(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('created_at', coopzone.db.AwareDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.Column('voucher_no', sa.String(length=60), nullable=True),
    sa.Column('settled_by', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['statement_id'], ['ecology_statement.id'], name=op.f('fk_ecology_statement_change_statement_id_ecology_statement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ecology_statement_change'))
    )
    with op.batch_alter_table('ecology_statement_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ecology_statement_change_statement_id'), ['statement_id'], unique=False)

    op.create_table('ecology_statement_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('agreement_version_id', sa.Integer(), nullable=False),
    sa.Column('agreement', sa.String(length=60), nullable=False),
    sa.Column('round', sa.String(length=30), nullable=False),
    sa.Column('rule_id', sa.String(length=60), nullable=False),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('section', sa.String(length=60), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('water_class', sa.Integer(), nullable=True),
    sa.Column('payer_code', sa.String(length=6), nullable=True),
    sa.Column('payee_code', sa.String(length=6), nullable=True),
    sa.Column('amount', coopzone.db.Money(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('previous_payer_code', sa.String(length=6), nullable=True),
    sa.Column('previous_amount', coopzone.db.Money(), nullable=True),
    sa.Column('previous_status', sa.String(length=10), nullable=True),
    sa.Column('changed_in_revision', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_version_id'], ['ecology_agreement_version.id'], name='fk_ecology_statement_line_version'),
    sa.ForeignKeyConstraint(['statement_id'], ['ecology_statement.id'], name=op.f('fk_ecology_statement_line_statement_id_ecology_statement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ecology_statement_line')),
    sa.UniqueConstraint('statement_id', 'agreement', 'rule_id', 'section', 'period', name='uq_ecology_statement_line_key')
    )
    with op.batch_alter_table('ecology_statement_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ecology_statement_line_agreement_version_id'), ['agreement_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ecology_statement_line_statement_id'), ['statement_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ecology_statement_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ecology_statement_line_statement_id'))
        batch_op.drop_index(batch_op.f('ix_ecology_statement_line_agreement_version_id'))

    op.drop_table('ecology_statement_line')
    with op.batch_alter_table('ecology_statement_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ecology_statement_change_statement_id'))

    op.drop_table('ecology_statement_change')
    with op.batch_alter_table('ecology_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ecology_statement_series'))

    op.drop_table('ecology_statement')
    with op.batch_alter_table('ecology_agreement_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ecology_agreement_version_series'))
        batch_op.drop_index(batch_op.f('ix_ecology_agreement_version_agreement_id'))

    op.drop_table('ecology_agreement_version')
