"""network tables: networks, subnets, subnet pools, ports, IP allocations, tags, quotas

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('network_quotas',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('resource', sa.String(length=64), nullable=False),
    sa.Column('hard_limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'resource', name=op.f('pk_network_quotas'))
    )
    op.create_table('network_subnetpools',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('default_prefixlen', sa.Integer(), nullable=False),
    sa.Column('min_prefixlen', sa.Integer(), nullable=False),
    sa.Column('max_prefixlen', sa.Integer(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('default_quota', sa.Integer(), nullable=True),
    sa.Column('address_scope_id', sa.String(length=36), nullable=True),
    sa.Column('prefixes', sa.Text(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_subnetpools'))
    )
    op.create_index(op.f('ix_network_subnetpools_project_id'), 'network_subnetpools', ['project_id'], unique=False)
    op.create_table('network_tags',
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.Column('resource_type', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('resource_id', 'tag', name=op.f('pk_network_tags'))
    )
    op.create_table('networks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('external', sa.Boolean(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('mtu', sa.Integer(), nullable=False),
    sa.Column('port_security_enabled', sa.Boolean(), nullable=False),
    sa.Column('network_type', sa.String(length=32), nullable=False),
    sa.Column('physical_network', sa.String(length=64), nullable=True),
    sa.Column('segmentation_id', sa.Integer(), nullable=True),
    sa.Column('availability_zone_hints', sa.Text(), nullable=False),
    sa.Column('dns_domain', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_networks')),
    sa.UniqueConstraint('segmentation_id', name=op.f('uq_networks_segmentation_id'))
    )
    op.create_index(op.f('ix_networks_project_id'), 'networks', ['project_id'], unique=False)
    op.create_table('ports',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('mac_address', sa.String(length=32), nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.String(length=255), nullable=False),
    sa.Column('device_owner', sa.String(length=255), nullable=False),
    sa.Column('port_security_enabled', sa.Boolean(), nullable=False),
    sa.Column('allowed_address_pairs', sa.Text(), nullable=False),
    sa.Column('binding_host_id', sa.String(length=255), nullable=False),
    sa.Column('binding_vnic_type', sa.String(length=64), nullable=False),
    sa.Column('binding_vif_type', sa.String(length=64), nullable=False),
    sa.Column('binding_vif_details', sa.Text(), nullable=False),
    sa.Column('binding_profile', sa.Text(), nullable=False),
    sa.Column('dns_name', sa.String(length=255), nullable=False),
    sa.Column('extra_dhcp_opts', sa.Text(), nullable=False),
    sa.Column('created_by_compute', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_ports_network_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ports')),
    sa.UniqueConstraint('network_id', 'mac_address', name=op.f('uq_ports_network_id_mac_address'))
    )
    op.create_index(op.f('ix_ports_device_id'), 'ports', ['device_id'], unique=False)
    op.create_index(op.f('ix_ports_network_id'), 'ports', ['network_id'], unique=False)
    op.create_index(op.f('ix_ports_project_id'), 'ports', ['project_id'], unique=False)
    op.create_table('subnets',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('cidr', sa.String(length=64), nullable=False),
    sa.Column('gateway_ip', sa.String(length=64), nullable=True),
    sa.Column('enable_dhcp', sa.Boolean(), nullable=False),
    sa.Column('ipv6_ra_mode', sa.String(length=16), nullable=True),
    sa.Column('ipv6_address_mode', sa.String(length=16), nullable=True),
    sa.Column('subnetpool_id', sa.String(length=36), nullable=True),
    sa.Column('allocation_pools', sa.Text(), nullable=False),
    sa.Column('dns_nameservers', sa.Text(), nullable=False),
    sa.Column('host_routes', sa.Text(), nullable=False),
    sa.Column('service_types', sa.Text(), nullable=False),
    sa.Column('segment_id', sa.String(length=36), nullable=True),
    sa.Column('dns_publish_fixed_ip', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_subnets_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subnetpool_id'], ['network_subnetpools.id'], name=op.f('fk_subnets_subnetpool_id_network_subnetpools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subnets'))
    )
    op.create_index(op.f('ix_subnets_network_id'), 'subnets', ['network_id'], unique=False)
    op.create_index(op.f('ix_subnets_project_id'), 'subnets', ['project_id'], unique=False)
    op.create_index(op.f('ix_subnets_subnetpool_id'), 'subnets', ['subnetpool_id'], unique=False)
    op.create_table('network_ip_allocations',
    sa.Column('subnet_id', sa.String(length=36), nullable=False),
    sa.Column('ip_address', sa.String(length=64), nullable=False),
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'], name=op.f('fk_network_ip_allocations_port_id_ports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subnet_id'], ['subnets.id'], name=op.f('fk_network_ip_allocations_subnet_id_subnets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subnet_id', 'ip_address', name=op.f('pk_network_ip_allocations'))
    )
    op.create_index(op.f('ix_network_ip_allocations_network_id'), 'network_ip_allocations', ['network_id'], unique=False)
    op.create_index(op.f('ix_network_ip_allocations_port_id'), 'network_ip_allocations', ['port_id'], unique=False)
    op.create_table('network_port_security_groups',
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('security_group_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'], name=op.f('fk_network_port_security_groups_port_id_ports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('port_id', 'security_group_id', name=op.f('pk_network_port_security_groups'))
    )
    op.create_index(op.f('ix_network_port_security_groups_security_group_id'), 'network_port_security_groups', ['security_group_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_network_port_security_groups_security_group_id'), table_name='network_port_security_groups')
    op.drop_table('network_port_security_groups')
    op.drop_index(op.f('ix_network_ip_allocations_port_id'), table_name='network_ip_allocations')
    op.drop_index(op.f('ix_network_ip_allocations_network_id'), table_name='network_ip_allocations')
    op.drop_table('network_ip_allocations')
    op.drop_index(op.f('ix_subnets_subnetpool_id'), table_name='subnets')
    op.drop_index(op.f('ix_subnets_project_id'), table_name='subnets')
    op.drop_index(op.f('ix_subnets_network_id'), table_name='subnets')
    op.drop_table('subnets')
    op.drop_index(op.f('ix_ports_project_id'), table_name='ports')
    op.drop_index(op.f('ix_ports_network_id'), table_name='ports')
    op.drop_index(op.f('ix_ports_device_id'), table_name='ports')
    op.drop_table('ports')
    op.drop_index(op.f('ix_networks_project_id'), table_name='networks')
    op.drop_table('networks')
    op.drop_table('network_tags')
    op.drop_index(op.f('ix_network_subnetpools_project_id'), table_name='network_subnetpools')
    op.drop_table('network_subnetpools')
    op.drop_table('network_quotas')
