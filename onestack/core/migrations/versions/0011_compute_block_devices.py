"""compute block device mappings (volumes attached to servers)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-21 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('compute_block_device_mappings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('instance_uuid', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('source_type', sa.String(length=16), nullable=False),
    sa.Column('destination_type', sa.String(length=16), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=True),
    sa.Column('image_id', sa.String(length=36), nullable=True),
    sa.Column('snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('attachment_id', sa.String(length=36), nullable=True),
    sa.Column('volume_size', sa.Integer(), nullable=True),
    sa.Column('boot_index', sa.Integer(), nullable=True),
    sa.Column('device_name', sa.String(length=255), nullable=True),
    sa.Column('tag', sa.String(length=60), nullable=True),
    sa.Column('delete_on_termination', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('connection_info', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['instance_uuid'], ['compute_instances.uuid'], name=op.f('fk_compute_block_device_mappings_instance_uuid_compute_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_block_device_mappings')),
    sa.UniqueConstraint('instance_uuid', 'volume_id', name=op.f('uq_compute_block_device_mappings_instance_uuid_volume_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_compute_block_device_mappings_uuid'))
    )
    op.create_index(op.f('ix_compute_block_device_mappings_instance_uuid'), 'compute_block_device_mappings', ['instance_uuid'], unique=False)
    op.create_index(op.f('ix_compute_block_device_mappings_project_id'), 'compute_block_device_mappings', ['project_id'], unique=False)
    op.create_index(op.f('ix_compute_block_device_mappings_volume_id'), 'compute_block_device_mappings', ['volume_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_compute_block_device_mappings_volume_id'), table_name='compute_block_device_mappings')
    op.drop_index(op.f('ix_compute_block_device_mappings_project_id'), table_name='compute_block_device_mappings')
    op.drop_index(op.f('ix_compute_block_device_mappings_instance_uuid'), table_name='compute_block_device_mappings')
    op.drop_table('compute_block_device_mappings')
