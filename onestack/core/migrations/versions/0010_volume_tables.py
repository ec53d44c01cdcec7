"""volume tables: volumes, types, snapshots, backups, attachments, transfers, messages

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('volume_backups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('fail_reason', sa.Text(), nullable=True),
    sa.Column('availability_zone', sa.String(length=255), nullable=True),
    sa.Column('container', sa.String(length=255), nullable=True),
    sa.Column('is_incremental', sa.Boolean(), nullable=False),
    sa.Column('object_count', sa.Integer(), nullable=False),
    sa.Column('chunks', sa.Text(), nullable=False),
    sa.Column('meta', sa.Text(), nullable=False),
    sa.Column('volume_meta', sa.Text(), nullable=False),
    sa.Column('data_timestamp', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_backups'))
    )
    op.create_index(op.f('ix_volume_backups_parent_id'), 'volume_backups', ['parent_id'], unique=False)
    op.create_index('ix_volume_backups_project_created', 'volume_backups', ['project_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_volume_backups_project_id'), 'volume_backups', ['project_id'], unique=False)
    op.create_index(op.f('ix_volume_backups_volume_id'), 'volume_backups', ['volume_id'], unique=False)
    op.create_table('volume_messages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=255), nullable=False),
    sa.Column('resource_type', sa.String(length=255), nullable=False),
    sa.Column('resource_uuid', sa.String(length=36), nullable=True),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('message_level', sa.String(length=255), nullable=False),
    sa.Column('user_message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_messages'))
    )
    op.create_index('ix_volume_messages_project_created', 'volume_messages', ['project_id', 'created_at'], unique=False)
    op.create_table('volume_qos_specs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('consumer', sa.String(length=32), nullable=False),
    sa.Column('specs', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_qos_specs')),
    sa.UniqueConstraint('name', name=op.f('uq_volume_qos_specs_name'))
    )
    op.create_table('volume_quotas',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('resource', sa.String(length=255), nullable=False),
    sa.Column('hard_limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'resource', name=op.f('pk_volume_quotas'))
    )
    op.create_table('volume_services',
    sa.Column('binary', sa.String(length=64), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=255), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('binary', 'host', name=op.f('pk_volume_services'))
    )
    op.create_table('volumes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('attach_status', sa.String(length=32), nullable=False),
    sa.Column('migration_status', sa.String(length=32), nullable=True),
    sa.Column('availability_zone', sa.String(length=255), nullable=False),
    sa.Column('volume_type_id', sa.String(length=36), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('bootable', sa.Boolean(), nullable=False),
    sa.Column('multiattach', sa.Boolean(), nullable=False),
    sa.Column('encrypted', sa.Boolean(), nullable=False),
    sa.Column('snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('source_volid', sa.String(length=36), nullable=True),
    sa.Column('image_id', sa.String(length=36), nullable=True),
    sa.Column('backup_id', sa.String(length=36), nullable=True),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('meta', sa.Text(), nullable=False),
    sa.Column('image_meta', sa.Text(), nullable=False),
    sa.Column('admin_meta', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('launched_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volumes'))
    )
    op.create_index(op.f('ix_volumes_name'), 'volumes', ['name'], unique=False)
    op.create_index('ix_volumes_project_created', 'volumes', ['project_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_volumes_project_id'), 'volumes', ['project_id'], unique=False)
    op.create_index(op.f('ix_volumes_status'), 'volumes', ['status'], unique=False)
    op.create_index(op.f('ix_volumes_volume_type_id'), 'volumes', ['volume_type_id'], unique=False)
    op.create_table('volume_attachments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('instance_uuid', sa.String(length=36), nullable=True),
    sa.Column('attached_host', sa.String(length=255), nullable=True),
    sa.Column('mountpoint', sa.String(length=255), nullable=True),
    sa.Column('attach_mode', sa.String(length=8), nullable=False),
    sa.Column('attach_status', sa.String(length=32), nullable=False),
    sa.Column('connector', sa.Text(), nullable=True),
    sa.Column('connection_info', sa.Text(), nullable=True),
    sa.Column('attach_time', sa.DateTime(), nullable=True),
    sa.Column('detach_time', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], name=op.f('fk_volume_attachments_volume_id_volumes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_attachments'))
    )
    op.create_index(op.f('ix_volume_attachments_instance_uuid'), 'volume_attachments', ['instance_uuid'], unique=False)
    op.create_index(op.f('ix_volume_attachments_project_id'), 'volume_attachments', ['project_id'], unique=False)
    op.create_index(op.f('ix_volume_attachments_volume_id'), 'volume_attachments', ['volume_id'], unique=False)
    op.create_table('volume_snapshots',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('progress', sa.String(length=8), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('meta', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], name=op.f('fk_volume_snapshots_volume_id_volumes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_snapshots'))
    )
    op.create_index('ix_volume_snapshots_project_created', 'volume_snapshots', ['project_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_volume_snapshots_project_id'), 'volume_snapshots', ['project_id'], unique=False)
    op.create_index(op.f('ix_volume_snapshots_volume_id'), 'volume_snapshots', ['volume_id'], unique=False)
    op.create_table('volume_transfers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('salt', sa.String(length=255), nullable=False),
    sa.Column('crypt_hash', sa.String(length=255), nullable=False),
    sa.Column('no_snapshots', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], name=op.f('fk_volume_transfers_volume_id_volumes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_transfers'))
    )
    op.create_index(op.f('ix_volume_transfers_project_id'), 'volume_transfers', ['project_id'], unique=False)
    op.create_index(op.f('ix_volume_transfers_volume_id'), 'volume_transfers', ['volume_id'], unique=False)
    op.create_table('volume_types',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('extra_specs', sa.Text(), nullable=False),
    sa.Column('qos_specs_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['qos_specs_id'], ['volume_qos_specs.id'], name=op.f('fk_volume_types_qos_specs_id_volume_qos_specs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_types')),
    sa.UniqueConstraint('name', name=op.f('uq_volume_types_name'))
    )
    op.create_index(op.f('ix_volume_types_qos_specs_id'), 'volume_types', ['qos_specs_id'], unique=False)
    op.create_table('volume_type_projects',
    sa.Column('volume_type_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['volume_type_id'], ['volume_types.id'], name=op.f('fk_volume_type_projects_volume_type_id_volume_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volume_type_id', 'project_id', name=op.f('pk_volume_type_projects'))
    )


def downgrade() -> None:
    op.drop_table('volume_type_projects')
    op.drop_index(op.f('ix_volume_types_qos_specs_id'), table_name='volume_types')
    op.drop_table('volume_types')
    op.drop_index(op.f('ix_volume_transfers_volume_id'), table_name='volume_transfers')
    op.drop_index(op.f('ix_volume_transfers_project_id'), table_name='volume_transfers')
    op.drop_table('volume_transfers')
    op.drop_index(op.f('ix_volume_snapshots_volume_id'), table_name='volume_snapshots')
    op.drop_index(op.f('ix_volume_snapshots_project_id'), table_name='volume_snapshots')
    op.drop_index('ix_volume_snapshots_project_created', table_name='volume_snapshots')
    op.drop_table('volume_snapshots')
    op.drop_index(op.f('ix_volume_attachments_volume_id'), table_name='volume_attachments')
    op.drop_index(op.f('ix_volume_attachments_project_id'), table_name='volume_attachments')
    op.drop_index(op.f('ix_volume_attachments_instance_uuid'), table_name='volume_attachments')
    op.drop_table('volume_attachments')
    op.drop_index(op.f('ix_volumes_volume_type_id'), table_name='volumes')
    op.drop_index(op.f('ix_volumes_status'), table_name='volumes')
    op.drop_index(op.f('ix_volumes_project_id'), table_name='volumes')
    op.drop_index('ix_volumes_project_created', table_name='volumes')
    op.drop_index(op.f('ix_volumes_name'), table_name='volumes')
    op.drop_table('volumes')
    op.drop_table('volume_services')
    op.drop_table('volume_quotas')
    op.drop_table('volume_qos_specs')
    op.drop_index('ix_volume_messages_project_created', table_name='volume_messages')
    op.drop_table('volume_messages')
    op.drop_index(op.f('ix_volume_backups_volume_id'), table_name='volume_backups')
    op.drop_index(op.f('ix_volume_backups_project_id'), table_name='volume_backups')
    op.drop_index('ix_volume_backups_project_created', table_name='volume_backups')
    op.drop_index(op.f('ix_volume_backups_parent_id'), table_name='volume_backups')
    op.drop_table('volume_backups')
