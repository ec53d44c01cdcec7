"""bus_messages: the db:// message bus (compute API processes <-> compute node)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bus_messages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('topic', sa.String(length=255), nullable=False),
    sa.Column('method', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bus_messages'))
    )
    op.create_index('ix_bus_messages_topic_id', 'bus_messages', ['topic', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_bus_messages_topic_id', table_name='bus_messages')
    op.drop_table('bus_messages')
