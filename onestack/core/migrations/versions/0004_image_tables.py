"""image tables

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('image',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('visibility', sa.String(length=20), nullable=False),
    sa.Column('protected', sa.Boolean(), nullable=False),
    sa.Column('os_hidden', sa.Boolean(), nullable=False),
    sa.Column('container_format', sa.String(length=32), nullable=True),
    sa.Column('disk_format', sa.String(length=32), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('virtual_size', sa.BigInteger(), nullable=True),
    sa.Column('checksum', sa.String(length=32), nullable=True),
    sa.Column('os_hash_algo', sa.String(length=64), nullable=True),
    sa.Column('os_hash_value', sa.String(length=128), nullable=True),
    sa.Column('min_disk', sa.Integer(), nullable=False),
    sa.Column('min_ram', sa.Integer(), nullable=False),
    sa.Column('data_key', sa.String(length=128), nullable=True),
    sa.Column('stage_key', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_image'))
    )
    with op.batch_alter_table('image', schema=None) as batch_op:
        batch_op.create_index('ix_image_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_status'), ['status'], unique=False)
        batch_op.create_index('ix_image_visibility_project', ['visibility', 'project_id'], unique=False)

    op.create_table('image_member',
    sa.Column('image_id', sa.String(length=36), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['image.id'], name=op.f('fk_image_member_image_id_image'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('image_id', 'member', name=op.f('pk_image_member'))
    )
    with op.batch_alter_table('image_member', schema=None) as batch_op:
        batch_op.create_index('ix_image_member_member', ['member', 'status'], unique=False)

    op.create_table('image_property',
    sa.Column('image_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['image.id'], name=op.f('fk_image_property_image_id_image'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('image_id', 'name', name=op.f('pk_image_property'))
    )
    op.create_table('image_tag',
    sa.Column('image_id', sa.String(length=36), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['image.id'], name=op.f('fk_image_tag_image_id_image'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('image_id', 'value', name=op.f('pk_image_tag'))
    )


def downgrade() -> None:
    op.drop_table('image_tag')
    op.drop_table('image_property')
    with op.batch_alter_table('image_member', schema=None) as batch_op:
        batch_op.drop_index('ix_image_member_member')
    op.drop_table('image_member')
    with op.batch_alter_table('image', schema=None) as batch_op:
        batch_op.drop_index('ix_image_visibility_project')
        batch_op.drop_index(batch_op.f('ix_image_status'))
        batch_op.drop_index(batch_op.f('ix_image_project_id'))
        batch_op.drop_index(batch_op.f('ix_image_name'))
        batch_op.drop_index('ix_image_created_at_id')
    op.drop_table('image')
