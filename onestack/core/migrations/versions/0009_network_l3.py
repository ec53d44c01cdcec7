"""network tables: security groups and rules, routers, floating IPs

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _standard_attrs() -> list[sa.Column]:
    return [
        sa.Column('description', sa.String(length=255), nullable=False),
        sa.Column('revision_number', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table('security_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('stateful', sa.Boolean(), nullable=False),
    *_standard_attrs(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_groups'))
    )
    op.create_index(op.f('ix_security_groups_project_id'), 'security_groups', ['project_id'], unique=False)
    op.create_table('network_default_security_groups',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('security_group_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['security_group_id'], ['security_groups.id'], name=op.f('fk_network_default_security_groups_security_group_id_security_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_network_default_security_groups'))
    )
    op.create_index(op.f('ix_network_default_security_groups_security_group_id'), 'network_default_security_groups', ['security_group_id'], unique=False)
    op.create_table('security_group_rules',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('security_group_id', sa.String(length=36), nullable=False),
    sa.Column('remote_group_id', sa.String(length=36), nullable=True),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('ethertype', sa.String(length=8), nullable=False),
    sa.Column('protocol', sa.String(length=40), nullable=True),
    sa.Column('port_range_min', sa.Integer(), nullable=True),
    sa.Column('port_range_max', sa.Integer(), nullable=True),
    sa.Column('remote_ip_prefix', sa.String(length=64), nullable=True),
    *_standard_attrs(),
    sa.ForeignKeyConstraint(['remote_group_id'], ['security_groups.id'], name=op.f('fk_security_group_rules_remote_group_id_security_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['security_group_id'], ['security_groups.id'], name=op.f('fk_security_group_rules_security_group_id_security_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_group_rules'))
    )
    op.create_index(op.f('ix_security_group_rules_project_id'), 'security_group_rules', ['project_id'], unique=False)
    op.create_index(op.f('ix_security_group_rules_remote_group_id'), 'security_group_rules', ['remote_group_id'], unique=False)
    op.create_index(op.f('ix_security_group_rules_security_group_id'), 'security_group_rules', ['security_group_id'], unique=False)
    op.create_table('routers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('gw_port_id', sa.String(length=36), nullable=True),
    sa.Column('enable_snat', sa.Boolean(), nullable=False),
    *_standard_attrs(),
    sa.ForeignKeyConstraint(['gw_port_id'], ['ports.id'], name=op.f('fk_routers_gw_port_id_ports'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routers'))
    )
    op.create_index(op.f('ix_routers_gw_port_id'), 'routers', ['gw_port_id'], unique=False)
    op.create_index(op.f('ix_routers_project_id'), 'routers', ['project_id'], unique=False)
    op.create_table('network_router_routes',
    sa.Column('router_id', sa.String(length=36), nullable=False),
    sa.Column('destination', sa.String(length=64), nullable=False),
    sa.Column('nexthop', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['router_id'], ['routers.id'], name=op.f('fk_network_router_routes_router_id_routers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('router_id', 'destination', 'nexthop', name=op.f('pk_network_router_routes'))
    )
    op.create_table('floatingips',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('floating_network_id', sa.String(length=36), nullable=False),
    sa.Column('floating_port_id', sa.String(length=36), nullable=False),
    sa.Column('floating_ip_address', sa.String(length=64), nullable=False),
    sa.Column('fixed_port_id', sa.String(length=36), nullable=True),
    sa.Column('fixed_ip_address', sa.String(length=64), nullable=True),
    sa.Column('router_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    *_standard_attrs(),
    sa.ForeignKeyConstraint(['fixed_port_id'], ['ports.id'], name=op.f('fk_floatingips_fixed_port_id_ports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['floating_network_id'], ['networks.id'], name=op.f('fk_floatingips_floating_network_id_networks')),
    sa.ForeignKeyConstraint(['floating_port_id'], ['ports.id'], name=op.f('fk_floatingips_floating_port_id_ports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['router_id'], ['routers.id'], name=op.f('fk_floatingips_router_id_routers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_floatingips')),
    sa.UniqueConstraint('floating_network_id', 'fixed_port_id', 'fixed_ip_address', name=op.f('uq_floatingips_floating_network_id_fixed_port_id_fixed_ip_address'))
    )
    op.create_index(op.f('ix_floatingips_fixed_port_id'), 'floatingips', ['fixed_port_id'], unique=False)
    op.create_index(op.f('ix_floatingips_floating_network_id'), 'floatingips', ['floating_network_id'], unique=False)
    op.create_index(op.f('ix_floatingips_floating_port_id'), 'floatingips', ['floating_port_id'], unique=False)
    op.create_index(op.f('ix_floatingips_project_id'), 'floatingips', ['project_id'], unique=False)
    op.create_index(op.f('ix_floatingips_router_id'), 'floatingips', ['router_id'], unique=False)


def downgrade() -> None:
    op.drop_table('floatingips')
    op.drop_table('network_router_routes')
    op.drop_table('routers')
    op.drop_table('security_group_rules')
    op.drop_table('network_default_security_groups')
    op.drop_table('security_groups')
