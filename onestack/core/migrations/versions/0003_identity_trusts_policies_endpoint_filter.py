"""identity: trusts, policies, endpoint filter

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 06:29:22.249914
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('endpoint_group',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('filters', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_endpoint_group'))
    )
    op.create_table('policy',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=255), nullable=False),
    sa.Column('blob', sa.Text(), nullable=False),
    sa.Column('extra', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy'))
    )
    op.create_table('trust',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('trustor_user_id', sa.String(length=64), nullable=False),
    sa.Column('trustee_user_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=True),
    sa.Column('impersonation', sa.Boolean(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('remaining_uses', sa.Integer(), nullable=True),
    sa.Column('redelegated_trust_id', sa.String(length=64), nullable=True),
    sa.Column('redelegation_count', sa.Integer(), nullable=True),
    sa.Column('extra', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trust'))
    )
    with op.batch_alter_table('trust', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trust_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_redelegated_trust_id'), ['redelegated_trust_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_trustee_user_id'), ['trustee_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_trustor_user_id'), ['trustor_user_id'], unique=False)

    op.create_table('project_endpoint_group',
    sa.Column('endpoint_group_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_group_id'], ['endpoint_group.id'], name=op.f('fk_project_endpoint_group_endpoint_group_id_endpoint_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('endpoint_group_id', 'project_id', name=op.f('pk_project_endpoint_group'))
    )
    with op.batch_alter_table('project_endpoint_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_endpoint_group_project_id'), ['project_id'], unique=False)

    op.create_table('trust_role',
    sa.Column('trust_id', sa.String(length=64), nullable=False),
    sa.Column('role_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['trust_id'], ['trust.id'], name=op.f('fk_trust_role_trust_id_trust'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('trust_id', 'role_id', name=op.f('pk_trust_role'))
    )
    op.create_table('project_endpoint',
    sa.Column('endpoint_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoint.id'], name=op.f('fk_project_endpoint_endpoint_id_endpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('endpoint_id', 'project_id', name=op.f('pk_project_endpoint'))
    )
    with op.batch_alter_table('project_endpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_endpoint_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('project_endpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_endpoint_project_id'))

    op.drop_table('project_endpoint')
    op.drop_table('trust_role')
    with op.batch_alter_table('project_endpoint_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_endpoint_group_project_id'))

    op.drop_table('project_endpoint_group')
    with op.batch_alter_table('trust', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trust_trustor_user_id'))
        batch_op.drop_index(batch_op.f('ix_trust_trustee_user_id'))
        batch_op.drop_index(batch_op.f('ix_trust_redelegated_trust_id'))
        batch_op.drop_index(batch_op.f('ix_trust_project_id'))

    op.drop_table('trust')
    op.drop_table('policy')
    op.drop_table('endpoint_group')
