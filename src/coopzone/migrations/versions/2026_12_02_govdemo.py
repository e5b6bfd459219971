"""gov_services: a covering index for the monthly statistics (bench/services.py at 1,000,000
cases: the GROUP BY month read every case row; it now reads the index alone)

Revision ID: 9db88c1ed09f
Revises: 9c41d7e2a5b3
Create Date: 2026-12-02 06:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '9db88c1ed09f'
down_revision: str | None = '5e8b1f3c7a24'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ['applied_month', 'collect_place_code', 'handling_place_code', 'decided_on',
           'on_time', 'working_days_used']


def upgrade() -> None:
    with op.batch_alter_table('gov_services_case', schema=None) as batch_op:
        batch_op.create_index('ix_gov_services_case_month_stats', COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('gov_services_case', schema=None) as batch_op:
        batch_op.drop_index('ix_gov_services_case_month_stats')
