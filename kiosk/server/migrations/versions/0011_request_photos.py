"""request photos (issue 13): a request's photos by SHA-256 in media, each public or not

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 13:00:00

A photo's bytes live in ``media`` (stored as the content editor stores them), so
``request_media.data`` becomes nullable (kept for voice notes). See
kiosk/server/requests/photos.py and docs/SERVICE_TRACKING.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request_media") as batch:
        batch.alter_column("data", existing_type=sa.LargeBinary, nullable=True)
        batch.add_column(sa.Column("sha256", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("public", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.create_foreign_key(
            "fk_request_media_sha256_media", "media", ["sha256"], ["sha256"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM request_media WHERE data IS NULL")
    with op.batch_alter_table("request_media") as batch:
        batch.drop_constraint("fk_request_media_sha256_media", type_="foreignkey")
        batch.drop_column("public")
        batch.drop_column("sha256")
        batch.alter_column("data", existing_type=sa.LargeBinary, nullable=False)
