"""compute block device mappings (volumes attached to servers)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-21 00:00:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the compute volume integration


def downgrade() -> None:
    pass
