"""gov_services: the case statistics' summary (gov_services_case_summary), filled from the
stored cases (bench/services.py: the statistics at 1,000,000 cases over five years read it
instead of every case)

Revision ID: 3f12c0a5e7d1
Revises: 3f7a2c9e1d84
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '3f12c0a5e7d1'
down_revision: str | None = '3f7a2c9e1d84'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ['dim', 'grain', 'period', 'group_key', 'collect_place_code', 'handling_place_code']
MEASURES = ['cases', 'decided', 'timed', 'on_time', 'days_sum', 'days_count']
SUMS = ("COUNT(*), COUNT(decided_on), COUNT(on_time), "
        "COALESCE(SUM(CASE WHEN on_time THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(working_days_used), 0), COUNT(working_days_used)")
GROUP_KEYS = {'base': "''", 'mode': 'mode',
              'window': "COALESCE(CAST(window_id AS VARCHAR(20)), '')",
              'item': 'CAST(item_id AS VARCHAR(20))'}


def upgrade() -> None:
    op.create_table(
        'gov_services_case_summary',
        sa.Column('dim', sa.String(length=8), nullable=False),
        sa.Column('grain', sa.String(length=1), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('group_key', sa.String(length=20), nullable=False),
        sa.Column('collect_place_code', sa.String(length=6), nullable=False),
        sa.Column('handling_place_code', sa.String(length=6), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.Column('decided', sa.Integer(), nullable=False),
        sa.Column('timed', sa.Integer(), nullable=False),
        sa.Column('on_time', sa.Integer(), nullable=False),
        sa.Column('days_sum', sa.BigInteger(), nullable=False),
        sa.Column('days_count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name=op.f('pk_gov_services_case_summary')),
        sqlite_with_rowid=False,
    )
    columns = ', '.join(KEY + MEASURES)
    for dim, key in GROUP_KEYS.items():  # months from the cases
        by = "" if dim == 'base' else f"{key}, "  # PostgreSQL groups by no constant
        op.execute(
            f"INSERT INTO gov_services_case_summary ({columns}) "
            f"SELECT '{dim}', 'm', applied_month, {key}, COALESCE(collect_place_code, ''), "
            f"handling_place_code, {SUMS} FROM gov_services_case "
            f"GROUP BY applied_month, {by}COALESCE(collect_place_code, ''), "
            "handling_place_code")
    sums = ', '.join(f'SUM({m})' for m in MEASURES)
    for grain, period in (('y', 'SUBSTR(period, 1, 4)'), ('a', "'*'")):  # years, all time
        by = f"{period}, " if grain == 'y' else ""
        op.execute(
            f"INSERT INTO gov_services_case_summary ({columns}) "
            f"SELECT dim, '{grain}', {period}, group_key, collect_place_code, "
            f"handling_place_code, {sums} FROM gov_services_case_summary WHERE grain = 'm' "
            f"GROUP BY dim, {by}group_key, collect_place_code, handling_place_code")


def downgrade() -> None:
    op.drop_table('gov_services_case_summary')
