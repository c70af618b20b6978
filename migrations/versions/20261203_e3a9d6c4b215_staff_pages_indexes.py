"""staff pages at 100,000 proposals: assignments by the deadline owed next (a department's inbox in
due order; the dashboard's most overdue) and the proposals a live assignment can belong to, with
their state (the inbox's and the dashboard's counts)

Revision ID: e3a9d6c4b215
Revises: b7e4c2a91f30
Create Date: 2026-12-03 18:25:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'e3a9d6c4b215'
down_revision = 'b7e4c2a91f30'
branch_labels = None
depends_on = None

NEXT_DUE = ("(\nCASE\n    WHEN acknowledged_at IS NULL THEN ack_due_on\n    WHEN answered_at IS NULL THEN answer_due_on\n"
            "    ELSE NULL\nEND)")
ACTIVE = "status = 'active'"
RUNNING = "status = 'active' AND paused_since IS NULL"
LIVE = "state IN ('assigned', 'in_consultation', 'info_requested', 'triage')"


def upgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_open_due', ['department_id', sa.text(NEXT_DUE), 'id'], unique=False,
                              sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
        batch_op.create_index('ix_assignments_running_due', [sa.text(NEXT_DUE), 'id'], unique=False,
                              sqlite_where=sa.text(RUNNING), postgresql_where=sa.text(RUNNING))
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_live', ['id', 'state'], unique=False,
                              sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))


def downgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_live')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_running_due')
        batch_op.drop_index('ix_assignments_open_due')
