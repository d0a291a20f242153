"""Logistics (物流管理): the feedback of each dispatched parcel (出库反馈), the print log
(出库打印, reprints included), on the order when logistics withdrew it (撤单) and how
often it was printed, the couriers' sheet profiles and the COD remittances (代收货款对账)

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

from db.types import Money, UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', UTCDateTime(), nullable=True))
        # existing rows: a printed order counts as printed once
        batch_op.add_column(sa.Column('print_count', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.execute("UPDATE sales_order SET print_count = 1 WHERE printed_at IS NOT NULL")
    op.create_table('dispatch_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('courier_id', sa.Integer(), nullable=True),
    sa.Column('delivery_fee', Money, nullable=False),
    sa.Column('remark', sa.String(length=200), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('actor_login', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['courier_id'], ['employee.id'],
                            name=op.f('fk_dispatch_feedback_courier_id_employee')),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ondelete='CASCADE',
                            name=op.f('fk_dispatch_feedback_order_id_sales_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_feedback')),
    sa.UniqueConstraint('order_id', name=op.f('uq_dispatch_feedback_order_id'))
    )
    with op.batch_alter_table('dispatch_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispatch_feedback_at'), ['at'], unique=False)
    op.create_table('print_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('actor_login', sa.String(length=32), nullable=False),
    sa.Column('template', sa.String(length=32), nullable=False),
    sa.Column('reprint', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ondelete='CASCADE',
                            name=op.f('fk_print_log_order_id_sales_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_print_log'))
    )
    with op.batch_alter_table('print_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_print_log_order_id_at'), ['order_id', 'at'],
                              unique=False)

    op.create_table('courier_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('statuses', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('updated_by_login', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courier_profile')),
    sa.UniqueConstraint('name', name=op.f('uq_courier_profile_name'))
    )
    op.create_table('cod_remittance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('courier', sa.String(length=32), nullable=False),
    sa.Column('amount', Money, nullable=False),
    sa.Column('fee', Money, nullable=False),
    sa.Column('remitted_on', sa.Date(), nullable=True),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('actor_login', sa.String(length=32), nullable=False),
    sa.Column('source_file', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ondelete='CASCADE',
                            name=op.f('fk_cod_remittance_order_id_sales_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cod_remittance')),
    sa.UniqueConstraint('order_id', name=op.f('uq_cod_remittance_order_id'))
    )
    with op.batch_alter_table('cod_remittance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cod_remittance_at'), ['at'], unique=False)


def downgrade() -> None:
    op.drop_table('cod_remittance')
    op.drop_table('courier_profile')
    op.drop_table('print_log')
    op.drop_table('dispatch_feedback')
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_column('print_count')
        batch_op.drop_column('withdrawn_at')
