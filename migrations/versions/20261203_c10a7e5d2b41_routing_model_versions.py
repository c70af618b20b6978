"""routing: learned model versions; decisions record the model version

Revision ID: c10a7e5d2b41
Revises: a6a565962a29
Create Date: 2026-12-03 09:20:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'c10a7e5d2b41'
down_revision = 'a6a565962a29'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'routing_model_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('trained_on', sa.Integer(), nullable=False),
        sa.Column('heldout_size', sa.Integer(), nullable=False),
        sa.Column('heldout_score', sa.Float(), nullable=True),
        sa.Column('departments', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('blob', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_model_versions')),
        sa.UniqueConstraint('version', name=op.f('uq_routing_model_versions_version')),
    )
    with op.batch_alter_table('routing_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('model_version', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('routing_records', schema=None) as batch_op:
        batch_op.drop_column('model_version')
    op.drop_table('routing_model_versions')
