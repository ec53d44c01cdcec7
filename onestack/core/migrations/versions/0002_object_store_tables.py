"""object store tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _name(length: int) -> sa.types.TypeEngine:
    # UTF-8 bytes: byte-order listings on every backend, within MariaDB's index limits
    return sa.LargeBinary(length=length).with_variant(mysql.VARBINARY(length), 'mysql', 'mariadb')


def upgrade() -> None:
    op.create_table('swift_account',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('meta', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_swift_account'))
    )
    op.create_table('swift_container',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('name', _name(256), nullable=False),
    sa.Column('meta', sa.Text(), nullable=False),
    sa.Column('sysmeta', sa.Text(), nullable=False),
    sa.Column('object_count', sa.BigInteger(), nullable=False),
    sa.Column('bytes_used', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_swift_container')),
    sa.UniqueConstraint('project_id', 'name', name=op.f('uq_swift_container_project_id_name'))
    )
    op.create_table('swift_object',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('container_id', sa.Integer(), nullable=False),
    sa.Column('name', _name(1024), nullable=False),
    sa.Column('blob', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=256), nullable=False),
    sa.Column('timestamp', sa.Float(), nullable=False),
    sa.Column('delete_at', sa.BigInteger(), nullable=True),
    sa.Column('meta', sa.Text(), nullable=False),
    sa.Column('sysmeta', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['container_id'], ['swift_container.id'], name=op.f('fk_swift_object_container_id_swift_container'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_swift_object')),
    sa.UniqueConstraint('container_id', 'name', name=op.f('uq_swift_object_container_id_name'))
    )
    with op.batch_alter_table('swift_object', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_swift_object_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_swift_object_delete_at'), ['delete_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('swift_object', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_swift_object_delete_at'))
        batch_op.drop_index(batch_op.f('ix_swift_object_project_id'))
    op.drop_table('swift_object')
    op.drop_table('swift_container')
    op.drop_table('swift_account')
