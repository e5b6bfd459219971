"""accounts: server-side login sessions and the login-failure log; the per-user lock goes

Revision ID: ff8230790e5c
Revises: 8d41b6c0e2a9
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import coopzone.db

revision: str = "ff8230790e5c"
down_revision: str | None = "8d41b6c0e2a9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", coopzone.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", coopzone.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", coopzone.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", coopzone.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("csrf_secret", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["accounts_user.id"],
                                name=op.f("fk_accounts_session_user_id_accounts_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_session")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_accounts_session_key_hash")),
    )
    with op.batch_alter_table("accounts_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_session_user_id"), ["user_id"],
                              unique=False)

    op.create_table(
        "accounts_login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", coopzone.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_login_failure")),
    )
    with op.batch_alter_table("accounts_login_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_login_failure_at"), ["at"], unique=False)
        batch_op.create_index("ix_accounts_login_failure_account_at", ["account", "at"],
                              unique=False)
        batch_op.create_index("ix_accounts_login_failure_address_at", ["address", "at"],
                              unique=False)

    # The per-user failure counter and lock are replaced by the failure log above.
    with op.batch_alter_table("accounts_user", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("accounts_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("locked_until",
                                      coopzone.db.AwareDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("accounts_login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_login_failure_address_at")
        batch_op.drop_index("ix_accounts_login_failure_account_at")
        batch_op.drop_index(batch_op.f("ix_accounts_login_failure_at"))
    op.drop_table("accounts_login_failure")
    with op.batch_alter_table("accounts_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_session_user_id"))
    op.drop_table("accounts_session")
