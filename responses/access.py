"""Who sees and acts on what in the responses room. A department sees a
proposal only through an assignment of its own; anyone else gets a 404."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from core.extensions import db
from proposals.models import Assignment, AssignmentStatus, Proposal, State


def may_open_files(assignment: Assignment | None) -> bool:
    """Files: the department that holds the proposal now, and the window
    (as /attachments/<id>, intake/access.py); not a department whose
    assignment ended."""
    if current_user.is_window_member:
        return True
    return (assignment is not None and assignment.status == AssignmentStatus.ACTIVE
            and assignment.department_id == current_user.department_id)


def load_proposal(proposal_id: int) -> tuple[Proposal, Assignment | None]:
    """The proposal and this department's assignment. Another department
    gets a 404 whatever id it guesses; the window sees every proposal it
    routed (read only unless it holds an assignment itself)."""
    assignment = db.session.scalar(
        sa.select(Assignment)
        .where(Assignment.proposal_id == proposal_id, Assignment.department_id == current_user.department_id)
        .order_by((Assignment.status == AssignmentStatus.ACTIVE).desc(), Assignment.id.desc())
        .limit(1)
    ) if current_user.department_id is not None else None
    if assignment is None and not current_user.is_window_member:
        abort(404)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.state == State.DRAFT:
        abort(404)
    return proposal, assignment


def live_assignment(proposal_id: int) -> Assignment:
    assignment = db.session.scalar(
        sa.select(Assignment).where(
            Assignment.proposal_id == proposal_id,
            Assignment.department_id == current_user.department_id,
            Assignment.status == AssignmentStatus.ACTIVE,
        )
    ) if current_user.department_id is not None else None
    if assignment is None:
        # Another department (or a finished assignment): no acting on it.
        if db.session.scalar(sa.select(Assignment.id).where(
                Assignment.proposal_id == proposal_id, Assignment.department_id == current_user.department_id)):
            abort(403)
        abort(404)
    return assignment
