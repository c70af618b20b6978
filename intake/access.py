"""Who may see what. Permissions are checked in the queries, so a page or
file of another organisation is never loaded for the wrong person."""

from __future__ import annotations

import sqlalchemy as sa
from flask import session
from flask_login import current_user

from core.extensions import db
from core.models import DepartmentKind, Membership, Role, User
from proposals.models import Assignment, AssignmentStatus, Proposal, State

ANON_DRAFTS = "intake_anon_drafts"


def applicant_proposals_clause(user: User):
    """Proposals of the user's organisations, or created by the user.

    The organisation ids are read first (a person belongs to a few): a
    literal IN list lets PostgreSQL combine the two indexes (BitmapOr)
    where `IN (SELECT …) OR …` scanned every proposal."""
    org_ids = sorted(db.session.scalars(sa.select(Membership.organisation_id).where(Membership.user_id == user.id)))
    if not org_ids:
        return Proposal.created_by_id == user.id
    return sa.or_(Proposal.organisation_id.in_(org_ids), Proposal.created_by_id == user.id)


def staff_proposals_clause(user: User):
    """Staff, as in the department inbox: the window (its staff and the
    members of the triage department) and administrators see everything
    submitted; a department sees only what it holds now, through an active
    assignment. Neither the engine's proposed lead (before the window
    confirms it) nor an assignment that ended (returned, closed) gives access."""
    if user.role in (Role.WINDOW, Role.ADMIN):
        return Proposal.state != State.DRAFT
    if user.department_id is None:
        return sa.false()
    if user.department is not None and user.department.kind == DepartmentKind.TRIAGE:
        return Proposal.state != State.DRAFT
    held = sa.select(Assignment.proposal_id).where(Assignment.department_id == user.department_id,
                                                   Assignment.status == AssignmentStatus.ACTIVE)
    return sa.and_(Proposal.state != State.DRAFT, Proposal.id.in_(held))


def anonymous_draft_ids() -> list[int]:
    return [int(i) for i in session.get(ANON_DRAFTS, []) if str(i).isdigit()]


def remember_anonymous_draft(proposal_id: int) -> None:
    ids = anonymous_draft_ids()
    if proposal_id not in ids:
        session[ANON_DRAFTS] = (ids + [proposal_id])[-10:]
    session.permanent = True  # survives closing the browser; the emailed link works anywhere


def viewable_proposals_clause():
    """What the current visitor may see, as a WHERE clause."""
    clauses = []
    if current_user.is_authenticated:
        if current_user.role == Role.APPLICANT:
            clauses.append(applicant_proposals_clause(current_user))
        else:
            clauses.append(staff_proposals_clause(current_user))
    anon = anonymous_draft_ids()
    if anon:
        clauses.append(sa.and_(Proposal.id.in_(anon), Proposal.created_by_id.is_(None), Proposal.state == State.DRAFT))
    return sa.or_(*clauses) if clauses else sa.false()


def load_viewable(proposal_id: int) -> Proposal | None:
    return db.session.scalar(sa.select(Proposal).where(Proposal.id == proposal_id, viewable_proposals_clause()))


def load_editable_draft(proposal_id: int) -> Proposal | None:
    """A draft the visitor may edit: their organisation's or their own, or
    one started anonymously in this browser and not yet claimed."""
    clauses = []
    if current_user.is_authenticated and current_user.role == Role.APPLICANT:
        clauses.append(applicant_proposals_clause(current_user))
    anon = anonymous_draft_ids()
    if anon:
        clauses.append(sa.and_(Proposal.id.in_(anon), Proposal.created_by_id.is_(None)))
    if not clauses:
        return None
    return db.session.scalar(
        sa.select(Proposal).where(Proposal.id == proposal_id, Proposal.state == State.DRAFT, sa.or_(*clauses))
    )


def load_for_applicant(reference: str) -> Proposal | None:
    if not current_user.is_authenticated or current_user.role != Role.APPLICANT:
        return None
    return db.session.scalar(
        sa.select(Proposal).where(Proposal.reference == reference, applicant_proposals_clause(current_user))
    )
