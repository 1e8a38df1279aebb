"""merge the heads of requests (0006) and households (0008); no schema change

Revision ID: 0006a
Revises: 0006, 0008
Create Date: 2026-12-03 12:05:00

Only in branch req-server, after it merged households: the lead re-chains the
migrations at merge (visits' 0009 merges the same two heads), and this file then goes.
"""

from __future__ import annotations

revision = "0006a"
down_revision = ("0006", "0008")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
