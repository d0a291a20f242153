"""contact.recording_id, one contact per call; customer search indexes; FULLTEXT index for the customers' contains search (MySQL)

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recording_id', sa.String(length=64), nullable=True))
        batch_op.drop_index('ix_contact_call_id')
        batch_op.create_index('ix_contact_call_id', ['call_id'], unique=True)
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_name')
        batch_op.create_index('ix_customer_name_registered_at', ['name', 'registered_at'])
        batch_op.create_index('ix_customer_name_initials_registered_at',
                              ['name_initials', 'registered_at'])
        batch_op.create_index('ix_customer_user_account', ['user_account'])
    create_customer_initials()  # a 0001 database keeps every reading findable
    if op.get_bind().dialect.name == 'mysql':
        op.create_index('ix_customer_search_grams_ft', 'customer', ['search_grams'],
                        mysql_prefix='FULLTEXT')


def create_customer_initials() -> None:
    """customer_initials as 0002 defined it, filled; 0003's downgrade brings it back."""
    op.create_table('customer_initials',
    sa.Column('initials', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_initials_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('initials', 'customer_id', name=op.f('pk_customer_initials'))
    )
    with op.batch_alter_table('customer_initials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_initials_customer_id'), ['customer_id'], unique=False)
    _backfill_later_readings(op.get_bind())


def _later_readings(name_initials: str) -> list[str]:
    """The readings after the first, each at most 16 letters, without repeats."""
    variants = [v[:16] for v in (name_initials or "").split() if v]
    return list(dict.fromkeys(v for v in variants[1:] if v != variants[0]))


def _backfill_later_readings(connection, batch: int = 20_000) -> None:
    """customer_initials as 0002 defined it (0003 replaces the table): kept here, not in
    db/, so this revision does the same thing however the current code searches."""
    customer = sa.table("customer", sa.column("id"), sa.column("name_initials"))
    target = sa.table("customer_initials", sa.column("initials"), sa.column("customer_id"))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(customer.c.id, customer.c.name_initials)
            .where(customer.c.id > last, customer.c.name_initials.like("% %"))
            .order_by(customer.c.id).limit(batch)).all()
        if not rows:
            return
        last = rows[-1][0]
        values = [{"initials": i, "customer_id": cid}
                  for cid, ini in rows for i in _later_readings(ini)]
        if values:
            connection.execute(sa.insert(target), values)


def downgrade() -> None:
    op.drop_table('customer_initials')
    if op.get_bind().dialect.name == 'mysql':
        op.drop_index('ix_customer_search_grams_ft', table_name='customer')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_user_account')
        batch_op.drop_index('ix_customer_name_initials_registered_at')
        batch_op.drop_index('ix_customer_name_registered_at')
        batch_op.create_index('ix_customer_name', ['name'])
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_call_id')
        batch_op.create_index('ix_contact_call_id', ['call_id'], unique=False)
        batch_op.drop_column('recording_id')
