"""Which proposals a search may return.

Staff: the same rule as the inbox and the triage desk (responses/access.py,
routing/views_triage.py): the window (its staff, managers and
administrators) sees every submitted proposal; a department sees a proposal
through an assignment of its own (any status, as the inbox's "all" filter).
Public: published proposals (consent and the window's approval), as
public/queries.py `published` says; this is search's one copy of that rule,
to re-point when proposals/visibility.py lands.
"""

from __future__ import annotations

import sqlalchemy as sa

from core.models import DepartmentKind
from proposals.models import Assignment, Proposal, State


def is_window_member(user) -> bool:
    return bool(user.is_window or (user.department is not None and user.department.kind == DepartmentKind.TRIAGE))


def staff_visible(user):
    """The condition on Proposal for what this staff member may find."""
    submitted = Proposal.state != State.DRAFT
    if is_window_member(user):
        return submitted
    if user.department_id is None:
        return sa.false()
    own = sa.exists().where(Assignment.proposal_id == Proposal.id, Assignment.department_id == user.department_id)
    return sa.and_(submitted, own)


def published():
    return sa.and_(Proposal.consent_publish, Proposal.consent_version.is_not(None), Proposal.publication_approved,
                   Proposal.state != State.DRAFT)
