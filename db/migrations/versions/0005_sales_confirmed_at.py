"""Sales statistics: an index on sales_order.confirmed_at, so 销售出库导出 (the orders
confirmed in a period) reads a month's confirmations instead of every confirmed order
(on the large demo data a month's export timed out after 30 s without it)

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_confirmed_at'), ['confirmed_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_confirmed_at'))
