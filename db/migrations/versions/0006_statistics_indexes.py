"""Statistics speed on a site's data (a million customers, the stock 128 MB buffer pool):
narrow indexes that a report reads instead of the wide rows

- contact (at, employee_id, customer_id): 资料分配利用率统计 reads a period's contacts;
  without an index on `at` it read the whole contact table for any period;
- customer (customer_class, source, region_id, registered_at): 客户资料数统计 counts the
  customers on file from this index alone, not from the table's rows;
- customer (owner_id, callback_agent_id, registered_at): 资料分配利用率统计's allocated
  customers per employee, from the index alone;
- customer (id, owner_id, callback_agent_id, region_id): a period's orders and contacts look
  up their customer's allocation and region here. The index is about 30 MB for a million
  customers and stays in the buffer pool, where the table's rows (about 500 MB) do not:
  each look-up was a random disk read.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

INDEXES = (
    ('contact', 'ix_contact_at_employee_id_customer_id', ['at', 'employee_id', 'customer_id']),
    ('customer', 'ix_customer_customer_class_source_region_id_registered_at',
     ['customer_class', 'source', 'region_id', 'registered_at']),
    ('customer', 'ix_customer_owner_id_callback_agent_id_registered_at',
     ['owner_id', 'callback_agent_id', 'registered_at']),
    ('customer', 'ix_customer_id_owner_id_callback_agent_id_region_id',
     ['id', 'owner_id', 'callback_agent_id', 'region_id']),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
