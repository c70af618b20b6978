"""proposals: the version of the publication consent each proposal agreed to

Revision ID: c0a5e7e12a01
Revises: 745bd154edc5
Create Date: 2026-12-03 09:30:00

Proposals that consented before versions were recorded agreed to version 1
(「タイトル・概要・分野・区・結果だけを公開します」): they publish only that.
"""
from alembic import op
import sqlalchemy as sa


revision = 'c0a5e7e12a01'
down_revision = '745bd154edc5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_version', sa.Integer(), nullable=True))
    op.execute("UPDATE proposals SET consent_version = 1 WHERE consent_publish")


def downgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_column('consent_version')
