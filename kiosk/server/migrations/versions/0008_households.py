"""households (issue 15): the register of households, their members, who saw what, and
each hall's choice whether district admins see its households

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-03 12:00:00

Personal fields are ciphertext (kiosk/server/personal.py). The lead re-chains this after
0006/0007 at merge.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
        sa.Column("address", sa.String(40), nullable=False),
        sa.Column("building", sa.String(8), nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("tier", sa.String(12), nullable=False),
        sa.Column("tier_set_by_staff", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("staff_id", sa.String(63), nullable=False, server_default=""),
        sa.Column("emergency_contact_enc", sa.LargeBinary, nullable=True),
        sa.Column("notes_enc", sa.LargeBinary, nullable=True),
        sa.Column("registered_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.Column("moved_away_at", Time, nullable=True),
        sa.Column("archived_at", Time, nullable=True),
        sa.Column("erase_due_at", Time, nullable=True),
        sa.Column("erased_at", Time, nullable=True),
    )
    op.create_index("ix_households_hall_address", "households", ["hall_id", "address"])
    op.create_table(
        "household_members",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("household_id", sa.String(32), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name_enc", sa.LargeBinary, nullable=True),
        sa.Column("birth_year", sa.Integer, nullable=True),
        sa.Column("phone_enc", sa.LargeBinary, nullable=True),
        sa.Column("phone_hash", sa.String(64), nullable=True),
        sa.Column("id_number_enc", sa.LargeBinary, nullable=True),
        sa.Column("relation", sa.String(20), nullable=False, server_default=""),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_household_members_household", "household_members", ["household_id"])
    op.create_index("ix_household_members_phone_hash", "household_members", ["phone_hash"])
    op.create_table(
        "household_audit",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", Time, nullable=False),
        sa.Column("hall_id", sa.String(63), nullable=False),
        sa.Column("household_id", sa.String(32), nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_household_audit_hall_at", "household_audit", ["hall_id", "at"])
    op.create_index("ix_household_audit_household", "household_audit", ["household_id"])
    op.create_table(
        "household_access",
        sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), primary_key=True),
        sa.Column("district_may_view", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("changed_by", sa.String(64), nullable=False),
        sa.Column("changed_at", Time, nullable=False),
    )
    op.create_table(
        "household_imports",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False, server_default=""),
        sa.Column("data_enc", sa.LargeBinary, nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("household_imports")
    op.drop_table("household_access")
    op.drop_index("ix_household_audit_household", "household_audit")
    op.drop_index("ix_household_audit_hall_at", "household_audit")
    op.drop_table("household_audit")
    op.drop_index("ix_household_members_phone_hash", "household_members")
    op.drop_index("ix_household_members_household", "household_members")
    op.drop_table("household_members")
    op.drop_index("ix_households_hall_address", "households")
    op.drop_table("households")
