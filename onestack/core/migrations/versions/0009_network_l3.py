"""network tables: security groups and rules, routers, floating IPs

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21 00:00:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the network L3/security group work


def downgrade() -> None:
    pass
