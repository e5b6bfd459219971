"""merge the hardening branches (section start, server sessions, lock versions) into one head

Revision ID: 5b2e9c7d41a0
Revises: 997ff305de9e, ff8230790e5c, f6e7cb752cdb
Create Date: 2026-12-01 22:55:00
"""

from collections.abc import Sequence

revision: str = "5b2e9c7d41a0"
down_revision: str | Sequence[str] | None = ("997ff305de9e", "ff8230790e5c", "f6e7cb752cdb")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """No schema change: later migrations build on one head."""


def downgrade() -> None:
    """No schema change."""
