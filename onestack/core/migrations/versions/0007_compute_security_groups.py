"""compute security groups (the nova security-group proxy API)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('compute_security_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_security_groups'))
    )
    op.create_index(op.f('ix_compute_security_groups_project_id'), 'compute_security_groups', ['project_id'], unique=False)
    op.create_table('compute_security_group_rules',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('parent_group_id', sa.String(length=36), nullable=False),
    sa.Column('ethertype', sa.String(length=8), nullable=False),
    sa.Column('ip_protocol', sa.String(length=16), nullable=True),
    sa.Column('from_port', sa.Integer(), nullable=True),
    sa.Column('to_port', sa.Integer(), nullable=True),
    sa.Column('cidr', sa.String(length=64), nullable=True),
    sa.Column('group_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_group_id'], ['compute_security_groups.id'], name=op.f('fk_compute_security_group_rules_parent_group_id_compute_security_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_security_group_rules'))
    )
    op.create_index(op.f('ix_compute_security_group_rules_parent_group_id'), 'compute_security_group_rules', ['parent_group_id'], unique=False)
    op.create_table('compute_instance_security_groups',
    sa.Column('instance_uuid', sa.String(length=36), nullable=False),
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['compute_security_groups.id'], name=op.f('fk_compute_instance_security_groups_group_id_compute_security_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instance_uuid'], ['compute_instances.uuid'], name=op.f('fk_compute_instance_security_groups_instance_uuid_compute_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_uuid', 'group_id', name=op.f('pk_compute_instance_security_groups'))
    )
    op.create_index(op.f('ix_compute_instance_security_groups_group_id'), 'compute_instance_security_groups', ['group_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_compute_instance_security_groups_group_id'), table_name='compute_instance_security_groups')
    op.drop_table('compute_instance_security_groups')
    op.drop_index(op.f('ix_compute_security_group_rules_parent_group_id'), table_name='compute_security_group_rules')
    op.drop_table('compute_security_group_rules')
    op.drop_index(op.f('ix_compute_security_groups_project_id'), table_name='compute_security_groups')
    op.drop_table('compute_security_groups')
