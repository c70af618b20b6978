"""Waits on someone other than a department: the window's triage, or the
applicant's answer to a question. A wait opens and closes in the same
transaction as the state change; the sweep (responses.sweep) escalates it."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from core.calendar import BusinessCalendar, local_today
from core.extensions import db
from core.models import Event
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, Proposal, State
from responses.clock import RUNNING_STATES, WAIT_KIND_OF
from responses.models import EscalationLevel, Wait, WaitKind
from responses.settings import calendar, setting


def open_wait(proposal_id: int) -> Wait | None:
    return db.session.scalar(sa.select(Wait).where(Wait.proposal_id == proposal_id, Wait.ended_at.is_(None)))


def follow_wait(proposal: Proposal, source: State, target: State, now: datetime, event) -> None:
    """Close the wait the proposal leaves and open the one it enters, in the
    same transaction as the state change (submitted → triage stays one wait)."""
    kind = WAIT_KIND_OF.get(State(target))
    current = open_wait(proposal.id)
    if current is not None and current.kind == kind and WAIT_KIND_OF.get(State(source)) == kind:
        return
    if current is not None:
        current.ended_at = now
        db.session.flush()
    if kind is None:
        return
    department_id = None
    if kind == WaitKind.APPLICANT:
        department_id = (event.data or {}).get("department_id") if event is not None else None
        if department_id is None and source in RUNNING_STATES:
            department_id = db.session.scalar(sa.select(Assignment.department_id).where(
                Assignment.proposal_id == proposal.id, Assignment.status == AssignmentStatus.ACTIVE,
                Assignment.role == AssignmentRole.LEAD))
    db.session.add(Wait(proposal_id=proposal.id, kind=kind, started_at=now, department_id=department_id))
    db.session.flush()


def wait_due_on(wait: Wait, cal: BusinessCalendar | None = None) -> date:
    """The window's triage allowance, or the business days the applicant has to answer."""
    cal = cal or calendar()
    days = setting("TRIAGE_BUSINESS_DAYS") if wait.kind == WaitKind.TRIAGE else \
        setting("DEADLINE_APPLICANT_REPLY_BUSINESS_DAYS")
    return cal.add_business_days(local_today(wait.started_at), days)


def wait_levels_due(wait: Wait, due_on: date, today: date, cal: BusinessCalendar) -> list[EscalationLevel]:
    """Triage: overdue the day after the allowance (the window's managers and
    staff), second level DEADLINE_SECOND_LEVEL_BUSINESS_DAYS later (the
    window's managers and the administrators). The applicant: a reminder the
    day after their N business days (to the applicant), then
    DEADLINE_APPLICANT_DECIDE_BUSINESS_DAYS later the department that asked
    and the window, who decide: close it, chase, or carry on without the answer."""
    if today <= due_on:
        return []
    if wait.kind == WaitKind.TRIAGE:
        levels = [EscalationLevel.OVERDUE]
        if today > cal.add_business_days(due_on, setting("DEADLINE_SECOND_LEVEL_BUSINESS_DAYS")):
            levels.append(EscalationLevel.SECOND)
        return levels
    levels = [EscalationLevel.REMINDER]
    if today > cal.add_business_days(due_on, setting("DEADLINE_APPLICANT_DECIDE_BUSINESS_DAYS")):
        levels.append(EscalationLevel.OVERDUE)
    return levels


def open_missing_waits(now: datetime) -> int:
    """Proposals waiting on the window or the applicant without an open wait
    (there before waits were recorded, or set by hand): their wait starts at
    the last state change that put them there."""
    rows = db.session.execute(
        sa.select(Proposal.id, Proposal.state, Proposal.submitted_at)
        .where(Proposal.state.in_(list(WAIT_KIND_OF)),
               ~sa.select(Wait.id).where(Wait.proposal_id == Proposal.id, Wait.ended_at.is_(None)).exists())
    ).all()
    opened = 0
    for proposal_id, state, submitted_at in rows:
        since = db.session.scalar(
            sa.select(Event.created_at).where(Event.proposal_id == proposal_id, Event.kind == "state_changed",
                                              Event.to_state == state.value)
            .order_by(Event.id.desc()).limit(1)
        ) or submitted_at or now
        try:
            with db.session.begin_nested():
                db.session.add(Wait(proposal_id=proposal_id, kind=WAIT_KIND_OF[state], started_at=since))
        except sa.exc.IntegrityError:
            continue  # another sweep opened it first
        opened += 1
    return opened
