"""merge the foundations branches (2 heads) into one head

Revision ID: 8e4d2b61c7f0
Revises: 3c9e71a5d0b4, 6a15ca98987f
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

revision: str = "8e4d2b61c7f0"
down_revision: str | Sequence[str] | None = ('3c9e71a5d0b4', '6a15ca98987f')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """No schema change: later migrations build on one head."""


def downgrade() -> None:
    """No schema change."""
