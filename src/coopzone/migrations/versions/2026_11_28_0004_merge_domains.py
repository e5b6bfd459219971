"""merge the cooperation and compensation-ledger branches into one head

Revision ID: 3f0c2a9e5b71
Revises: 779bc93a395a, a4c1e0d2b7f3
Create Date: 2026-11-28 13:30:00
"""

from collections.abc import Sequence

revision: str = "3f0c2a9e5b71"
down_revision: str | Sequence[str] | None = ("779bc93a395a", "a4c1e0d2b7f3")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """No schema change: later migrations build on one head."""


def downgrade() -> None:
    """No schema change."""
