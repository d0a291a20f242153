"""Search planning: customer_initials_key (every prefix of the pinyin initials) replaces customer_initials and the name_initials indexes; search_gram_stat (token counts for the contains search)

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from db.types import UTCDateTime

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customer_initials_key',
    sa.Column('initials', sa.String(length=16), nullable=False),
    sa.Column('registered_at', UTCDateTime(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_initials_key_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('initials', 'registered_at', 'customer_id', name=op.f('pk_customer_initials_key'))
    )
    with op.batch_alter_table('customer_initials_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_initials_key_customer_id'), ['customer_id'], unique=False)
    from db.initials import backfill
    backfill(op.get_bind())  # every existing customer stays findable by initials
    op.drop_table('customer_initials')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_name_initials_registered_at')
        batch_op.drop_index('ix_customer_name_initials')
    # empty until `agent-admin search-stats` counts: the contains search then walks first
    op.create_table('search_gram_stat',
    sa.Column('gram', sa.String(length=8).with_variant(mysql.VARCHAR(length=8, collation='utf8mb4_bin'), 'mysql'), nullable=False),
    sa.Column('docs', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('gram', name=op.f('pk_search_gram_stat'))
    )


def downgrade() -> None:
    op.drop_table('search_gram_stat')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index('ix_customer_name_initials', ['name_initials'])
        batch_op.create_index('ix_customer_name_initials_registered_at',
                              ['name_initials', 'registered_at'])
    # 0002's table and rows (the readings after the first, whole), by 0002's own code
    from importlib import import_module
    import_module("db.migrations.versions.0002_contact_recording_fulltext"
                  ).create_customer_initials()
    op.drop_table('customer_initials_key')
