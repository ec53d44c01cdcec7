"""compute tables

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('compute_flavors',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('flavorid', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('memory_mb', sa.Integer(), nullable=False),
    sa.Column('vcpus', sa.Integer(), nullable=False),
    sa.Column('root_gb', sa.Integer(), nullable=False),
    sa.Column('ephemeral_gb', sa.Integer(), nullable=False),
    sa.Column('swap', sa.Integer(), nullable=False),
    sa.Column('rxtx_factor', sa.Float(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('extra_specs', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_flavors')),
    sa.UniqueConstraint('flavorid', name=op.f('uq_compute_flavors_flavorid')),
    sa.UniqueConstraint('name', name=op.f('uq_compute_flavors_name'))
    )
    op.create_table('compute_instance_actions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('instance_uuid', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=255), nullable=False),
    sa.Column('action', sa.String(length=255), nullable=False),
    sa.Column('message', sa.String(length=255), nullable=True),
    sa.Column('start_time', sa.DateTime(), nullable=False),
    sa.Column('finish_time', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_instance_actions'))
    )
    op.create_index(op.f('ix_compute_instance_actions_instance_uuid'), 'compute_instance_actions', ['instance_uuid'], unique=False)
    op.create_table('compute_instances',
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('display_description', sa.Text(), nullable=True),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('vm_state', sa.String(length=32), nullable=False),
    sa.Column('task_state', sa.String(length=32), nullable=True),
    sa.Column('power_state', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('node', sa.String(length=255), nullable=True),
    sa.Column('availability_zone', sa.String(length=255), nullable=True),
    sa.Column('pinned_availability_zone', sa.String(length=255), nullable=True),
    sa.Column('image_ref', sa.String(length=255), nullable=False),
    sa.Column('kernel_id', sa.String(length=255), nullable=False),
    sa.Column('ramdisk_id', sa.String(length=255), nullable=False),
    sa.Column('flavor', sa.Text(), nullable=False),
    sa.Column('old_flavor', sa.Text(), nullable=True),
    sa.Column('new_flavor', sa.Text(), nullable=True),
    sa.Column('flavor_id', sa.String(length=255), nullable=False),
    sa.Column('vcpus', sa.Integer(), nullable=False),
    sa.Column('memory_mb', sa.Integer(), nullable=False),
    sa.Column('root_gb', sa.Integer(), nullable=False),
    sa.Column('key_name', sa.String(length=255), nullable=True),
    sa.Column('key_data', sa.Text(), nullable=True),
    sa.Column('key_type', sa.String(length=16), nullable=True),
    sa.Column('user_data', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=False),
    sa.Column('config_drive', sa.String(length=8), nullable=False),
    sa.Column('networks', sa.Text(), nullable=True),
    sa.Column('access_ip_v4', sa.String(length=64), nullable=True),
    sa.Column('access_ip_v6', sa.String(length=64), nullable=True),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('locked_by', sa.String(length=16), nullable=True),
    sa.Column('locked_reason', sa.String(length=255), nullable=True),
    sa.Column('launch_index', sa.Integer(), nullable=False),
    sa.Column('reservation_id', sa.String(length=255), nullable=False),
    sa.Column('root_device_name', sa.String(length=255), nullable=True),
    sa.Column('disk_config', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('fault', sa.Text(), nullable=True),
    sa.Column('launched_at', sa.DateTime(), nullable=True),
    sa.Column('terminated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_compute_instances'))
    )
    op.create_index(op.f('ix_compute_instances_deleted'), 'compute_instances', ['deleted'], unique=False)
    op.create_index(op.f('ix_compute_instances_host'), 'compute_instances', ['host'], unique=False)
    op.create_index('ix_compute_instances_project_created', 'compute_instances', ['project_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_compute_instances_project_id'), 'compute_instances', ['project_id'], unique=False)
    op.create_index(op.f('ix_compute_instances_updated_at'), 'compute_instances', ['updated_at'], unique=False)
    op.create_table('compute_keypairs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('public_key', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_keypairs')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_compute_keypairs_user_id_name'))
    )
    op.create_index(op.f('ix_compute_keypairs_user_id'), 'compute_keypairs', ['user_id'], unique=False)
    op.create_table('compute_nodes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('service_uuid', sa.String(length=36), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('hypervisor_type', sa.String(length=64), nullable=False),
    sa.Column('hypervisor_version', sa.Integer(), nullable=False),
    sa.Column('host_ip', sa.String(length=64), nullable=False),
    sa.Column('vcpus', sa.Integer(), nullable=False),
    sa.Column('memory_mb', sa.Integer(), nullable=False),
    sa.Column('local_gb', sa.Integer(), nullable=False),
    sa.Column('cpu_info', sa.Text(), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=255), nullable=True),
    sa.Column('forced_down', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_nodes')),
    sa.UniqueConstraint('host', name=op.f('uq_compute_nodes_host')),
    sa.UniqueConstraint('service_uuid', name=op.f('uq_compute_nodes_service_uuid')),
    sa.UniqueConstraint('uuid', name=op.f('uq_compute_nodes_uuid'))
    )
    op.create_table('compute_quotas',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('resource', sa.String(length=64), nullable=False),
    sa.Column('hard_limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'user_id', 'resource', name=op.f('pk_compute_quotas'))
    )
    op.create_table('compute_server_groups',
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('policy', sa.String(length=32), nullable=False),
    sa.Column('rules', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_compute_server_groups'))
    )
    op.create_index(op.f('ix_compute_server_groups_project_id'), 'compute_server_groups', ['project_id'], unique=False)
    op.create_table('compute_flavor_projects',
    sa.Column('flavor_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['flavor_id'], ['compute_flavors.id'], name=op.f('fk_compute_flavor_projects_flavor_id_compute_flavors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('flavor_id', 'project_id', name=op.f('pk_compute_flavor_projects'))
    )
    op.create_table('compute_instance_action_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=255), nullable=False),
    sa.Column('start_time', sa.DateTime(), nullable=False),
    sa.Column('finish_time', sa.DateTime(), nullable=True),
    sa.Column('result', sa.String(length=255), nullable=True),
    sa.Column('traceback', sa.Text(), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('details', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['action_id'], ['compute_instance_actions.id'], name=op.f('fk_compute_instance_action_events_action_id_compute_instance_actions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_instance_action_events'))
    )
    op.create_index(op.f('ix_compute_instance_action_events_action_id'), 'compute_instance_action_events', ['action_id'], unique=False)
    op.create_table('compute_instance_tags',
    sa.Column('instance_uuid', sa.String(length=36), nullable=False),
    sa.Column('tag', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['instance_uuid'], ['compute_instances.uuid'], name=op.f('fk_compute_instance_tags_instance_uuid_compute_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_uuid', 'tag', name=op.f('pk_compute_instance_tags'))
    )
    op.create_index(op.f('ix_compute_instance_tags_tag'), 'compute_instance_tags', ['tag'], unique=False)
    op.create_table('compute_server_group_members',
    sa.Column('group_uuid', sa.String(length=36), nullable=False),
    sa.Column('instance_uuid', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['group_uuid'], ['compute_server_groups.uuid'], name=op.f('fk_compute_server_group_members_group_uuid_compute_server_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_uuid', 'instance_uuid', name=op.f('pk_compute_server_group_members'))
    )
    op.create_index(op.f('ix_compute_server_group_members_instance_uuid'), 'compute_server_group_members', ['instance_uuid'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_compute_server_group_members_instance_uuid'), table_name='compute_server_group_members')
    op.drop_table('compute_server_group_members')
    op.drop_index(op.f('ix_compute_instance_tags_tag'), table_name='compute_instance_tags')
    op.drop_table('compute_instance_tags')
    op.drop_index(op.f('ix_compute_instance_action_events_action_id'), table_name='compute_instance_action_events')
    op.drop_table('compute_instance_action_events')
    op.drop_table('compute_flavor_projects')
    op.drop_index(op.f('ix_compute_server_groups_project_id'), table_name='compute_server_groups')
    op.drop_table('compute_server_groups')
    op.drop_table('compute_quotas')
    op.drop_table('compute_nodes')
    op.drop_index(op.f('ix_compute_keypairs_user_id'), table_name='compute_keypairs')
    op.drop_table('compute_keypairs')
    op.drop_index(op.f('ix_compute_instances_updated_at'), table_name='compute_instances')
    op.drop_index(op.f('ix_compute_instances_project_id'), table_name='compute_instances')
    op.drop_index('ix_compute_instances_project_created', table_name='compute_instances')
    op.drop_index(op.f('ix_compute_instances_host'), table_name='compute_instances')
    op.drop_index(op.f('ix_compute_instances_deleted'), table_name='compute_instances')
    op.drop_table('compute_instances')
    op.drop_index(op.f('ix_compute_instance_actions_instance_uuid'), table_name='compute_instance_actions')
    op.drop_table('compute_instance_actions')
    op.drop_table('compute_flavors')
