"""Statistics: agent_state_log (every agent state transition agent-ctid makes) and the
placements' airtime cost (广告响应's cost per call and per order)

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

from db.types import Money, UTCDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent_state_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('agent_login', sa.String(length=32), nullable=False),
    sa.Column('seat', sa.String(length=16), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('groups', sa.String(length=64), nullable=False),
    sa.Column('call_id', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_state_log'))
    )
    with op.batch_alter_table('agent_state_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_state_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_agent_state_log_agent_login_at'),
                              ['agent_login', 'at'], unique=False)
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost', Money, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.drop_column('cost')
    with op.batch_alter_table('agent_state_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_state_log_agent_login_at'))
        batch_op.drop_index(batch_op.f('ix_agent_state_log_at'))
    op.drop_table('agent_state_log')
