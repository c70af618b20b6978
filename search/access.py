"""Which proposals a search may return.

Staff: the same rule as the inbox and the triage desk (responses/access.py,
routing/views_triage.py): the window (its staff, managers and
administrators) sees every submitted proposal; a department sees a proposal
through an assignment of its own (any status, as the inbox's "all" filter).
Public: published proposals (consent and the window's approval): proposals.audiences.published,
the one definition the catalogue, open data and the API read too.
"""

from __future__ import annotations

import sqlalchemy as sa

from proposals.models import Assignment, Proposal, State


def staff_visible(user):
    """The condition on Proposal for what this staff member may find."""
    submitted = Proposal.state != State.DRAFT
    if user.is_window_member:
        return submitted
    if user.department_id is None:
        return sa.false()
    own = sa.exists().where(Assignment.proposal_id == Proposal.id, Assignment.department_id == user.department_id)
    return sa.and_(submitted, own)

