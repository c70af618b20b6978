"""Proposals, assignments, timelines as the API shows them, and who may see
which proposal (the same clauses as the pages: intake.access)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from api.conditional import etag_of
from api.problems import ApiProblem, text
from core.extensions import db
from core.models import Department, Event, Role, User
from intake.access import applicant_proposals_clause, staff_proposals_clause
from proposals.lifecycle import PUBLIC_STATE_LABELS, public_state
from proposals.models import Assignment, Message, Proposal, State


def visible_clause(user: User):
    """Applicants: their organisations' proposals (drafts included);
    staff: what their pages show them (the window everything submitted,
    a department what it holds through an active assignment)."""
    if user.role == Role.APPLICANT:
        return applicant_proposals_clause(user)
    return staff_proposals_clause(user)


def load_visible(user: User, proposal_id: int) -> Proposal:
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.id == proposal_id, visible_clause(user)))
    if proposal is None:
        raise ApiProblem(404, detail=_l("提案が見つかりません（番号が違うか、このトークンでは見られません）。"))
    return proposal


def _value(member):
    return member.value if member is not None else None


def proposal_out(proposal: Proposal, user: User, missing: list[dict] | None = None) -> dict:
    shown = public_state(proposal.state)
    staff = user.role != Role.APPLICANT
    organisation = proposal.organisation
    return {
        "id": proposal.id,
        "reference": proposal.reference,
        "status": shown.value,
        "status_label": text(PUBLIC_STATE_LABELS[shown]),
        "state": proposal.state.value if staff else None,
        "version": etag_of(proposal),
        "title": proposal.title, "summary": proposal.summary, "issue": proposal.issue,
        "activities": proposal.activities, "outcomes": proposal.outcomes,
        "scope": _value(proposal.scope), "stage": _value(proposal.stage),
        "themes": proposal.theme_codes, "wards": proposal.ward_codes,
        "support_requested": list(proposal.support_requested or []),
        "partners_wanted": list(proposal.partners_wanted or []),
        "budget_total_yen": proposal.budget_total_yen, "budget_requested_yen": proposal.budget_requested_yen,
        "period_start": proposal.period_start, "period_end": proposal.period_end,
        "exit_strategy": _value(proposal.exit_strategy), "exit_note": proposal.exit_note,
        "organisation": {"id": organisation.id, "name": organisation.name, "kind": organisation.kind.value}
        if organisation else None,
        "contact_name": proposal.contact_name, "contact_email": proposal.contact_email,
        "contact_phone": proposal.contact_phone,
        "lead_department": proposal.lead_department.code if proposal.lead_department else None,
        "submitted_at": proposal.submitted_at, "decided_at": proposal.decided_at, "updated_at": proposal.updated_at,
        "missing": missing or [],
    }


def timeline(proposal: Proposal, user: User) -> list[dict]:
    """The public timeline for applicants (as on their status page); staff see every event."""
    query = sa.select(Event).where(Event.proposal_id == proposal.id)
    if user.role == Role.APPLICANT:
        query = query.where(Event.public)
    codes = dict(db.session.execute(sa.select(Department.id, Department.code)).all())
    items = []
    for event in db.session.scalars(query.order_by(Event.created_at, Event.id)):
        def shown(state):
            if state is None:
                return None
            return public_state(State(state)).value if user.role == Role.APPLICANT else state
        items.append({"id": event.id, "at": event.created_at, "kind": event.kind,
                      "status_from": shown(event.from_state), "status_to": shown(event.to_state),
                      "comment": event.comment if event.public or user.role != Role.APPLICANT else None,
                      "department": codes.get(event.department_id)})
    return items


def messages(proposal: Proposal, user: User) -> list[dict]:
    query = sa.select(Message).where(Message.proposal_id == proposal.id)
    if user.role == Role.APPLICANT:
        query = query.where(~Message.internal)
    codes = dict(db.session.execute(sa.select(Department.id, Department.code)).all())
    return [{"id": m.id, "body": m.body, "at": m.created_at, "parent_id": m.parent_id,
             "from_applicant": m.department_id is None and (m.author is None or m.author.role == Role.APPLICANT),
             "department": codes.get(m.department_id), "internal": m.internal}
            for m in db.session.scalars(query.order_by(Message.created_at, Message.id))]


def assignment_out(assignment: Assignment) -> dict:
    proposal = assignment.proposal
    return {
        "id": assignment.id, "proposal_id": proposal.id, "reference": proposal.reference, "title": proposal.title,
        "department": assignment.department.code, "role": assignment.role.value, "status": assignment.status.value,
        "assigned_at": assignment.assigned_at, "acknowledged_at": assignment.acknowledged_at,
        "answered_at": assignment.answered_at, "ack_due_on": assignment.ack_due_on,
        "answer_due_on": assignment.answer_due_on, "paused": assignment.paused_since is not None,
        "proposal_state": proposal.state.value, "proposal_version": etag_of(proposal),
    }


def event_out(event: Event | None, proposal_id: int) -> dict:
    proposal = db.session.get(Proposal, proposal_id)
    db.session.refresh(proposal)
    return {"event_id": event.id if event is not None else None, "kind": event.kind if event is not None else None,
            "proposal_version": etag_of(proposal)}
