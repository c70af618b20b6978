"""Business-day deadlines and the escalation ladder.

Deadlines live in Assignment.ack_due_on / answer_due_on (indexed). They are
set when a department is assigned and moved in the same transaction as every
change of the proposal: the clock runs only while the proposal sits with the
departments (assigned, in_consultation); while the applicant owes an answer
(info_requested) or the window re-triages (triage), the open assignments are
paused, and when the clock restarts each unmet due date moves by the
business days the pause lasted.

Every function takes `today` / `now` explicitly where time matters; the
signal receivers use `clock.now()`, which tests and the simulation may set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from core.calendar import BusinessCalendar, local_today
from core.extensions import db
from core.models import Department
from proposals.lifecycle import Transition
from proposals.models import Assignment, AssignmentStatus, Proposal, State
from responses.clock import PAUSED_STATES, RUNNING_STATES, WAIT_KIND_OF, clock, due_at_end_of, local, tokyo_moment
from responses.models import DeadlineKind
from responses.notifications import notify_applicant_replied, notify_assigned
from responses.recipients import detail_path, recipients_for, wait_recipients
from responses.settings import ack_days, answer_days, calendar, forget_calendar, setting
from responses.sweep import SweepResult, levels_due, sweep
from responses.waits import follow_wait, open_wait, wait_due_on

# Moved to responses.clock, .settings, .waits, .sweep and .recipients (issue 9);
# still importable from here for the files of other rooms that import them so.
__all__ = [
    "PAUSED_STATES", "RUNNING_STATES", "WAIT_KIND_OF", "Standing", "SweepResult", "calendar", "clock",
    "detail_path", "due_at_end_of", "forget_calendar", "levels_due", "local", "on_assigned", "on_transitioned",
    "open_deadline", "open_wait", "pause", "recipients_for", "resume", "set_initial_deadlines", "setting",
    "shift_for_closed_day", "sweep", "tokyo_moment", "wait_due_on", "wait_recipients",
]


def set_initial_deadlines(assignment: Assignment, now: datetime, cal: BusinessCalendar | None = None) -> None:
    """Due dates counted in business days from the day of assignment (Tokyo)."""
    cal = cal or calendar()
    department = assignment.department or db.session.get(Department, assignment.department_id)
    start = local_today(now)
    assignment.assigned_at = now
    assignment.ack_due_on = cal.add_business_days(start, ack_days(department))
    assignment.answer_due_on = cal.add_business_days(start, answer_days(department))


def pause(assignment: Assignment, now: datetime) -> None:
    if assignment.paused_since is None:
        assignment.paused_since = now


def resume(assignment: Assignment, now: datetime, cal: BusinessCalendar | None = None) -> int:
    """Restart the clock; unmet due dates move by the business days paused."""
    if assignment.paused_since is None:
        return 0
    cal = cal or calendar()
    paused = cal.business_days_between(local_today(assignment.paused_since), local_today(now))
    stood_still = max(int((now - assignment.paused_since).total_seconds()), 0)
    if assignment.acknowledged_at is None:
        assignment.ack_paused_seconds = (assignment.ack_paused_seconds or 0) + stood_still
    if assignment.answered_at is None:
        assignment.answer_paused_seconds = (assignment.answer_paused_seconds or 0) + stood_still
    if paused:
        if assignment.acknowledged_at is None and assignment.ack_due_on is not None:
            assignment.ack_due_on = cal.add_business_days(assignment.ack_due_on, paused)
        if assignment.answered_at is None and assignment.answer_due_on is not None:
            assignment.answer_due_on = cal.add_business_days(assignment.answer_due_on, paused)
    assignment.paused_since = None
    return paused


def _active_assignments(proposal_id: int) -> list[Assignment]:
    return db.session.scalars(
        sa.select(Assignment).where(Assignment.proposal_id == proposal_id, Assignment.status == AssignmentStatus.ACTIVE)
    ).all()


def on_assigned(proposal: Proposal, assignments: list[Assignment], **_) -> None:
    """proposal_assigned: new assignments get their due dates, in the same transaction."""
    now = clock.now()
    for assignment in assignments:
        set_initial_deadlines(assignment, now)
        if proposal.state not in RUNNING_STATES:
            pause(assignment, now)
    db.session.flush()
    for assignment in assignments:
        notify_assigned(assignment)


def on_transitioned(proposal: Proposal, transition: Transition, **_) -> None:
    """proposal_transitioned: pause or restart the clock with the state."""
    now = clock.now()
    source, target = transition.source, transition.target
    if target in RUNNING_STATES and source not in RUNNING_STATES:
        for assignment in _active_assignments(proposal.id):
            resume(assignment, now)
        if source == State.INFO_REQUESTED:
            event = _.get("event")
            for assignment in _active_assignments(proposal.id):
                if assignment.role.value == "lead" and event is not None:
                    notify_applicant_replied(assignment, event.id)
    elif target in PAUSED_STATES and source not in PAUSED_STATES:
        for assignment in _active_assignments(proposal.id):
            pause(assignment, now)
    follow_wait(proposal, source, target, now, _.get("event"))
    db.session.flush()


def shift_for_closed_day(day: date, added: bool, now: datetime) -> int:
    """An administrator added (or removed) a closed day: each unmet due date
    whose counting window contains that day moves by one business day."""
    forget_calendar()
    cal = calendar()
    moved = 0
    today = local_today(now)
    if day < today:
        return 0
    rows = db.session.scalars(
        sa.select(Assignment).where(
            Assignment.status == AssignmentStatus.ACTIVE,
            sa.or_(
                sa.and_(Assignment.acknowledged_at.is_(None), Assignment.ack_due_on >= day),
                sa.and_(Assignment.answered_at.is_(None), Assignment.answer_due_on >= day),
            ),
        )
    ).all()
    for assignment in rows:
        for column, met in (("ack_due_on", assignment.acknowledged_at), ("answer_due_on", assignment.answered_at)):
            due = getattr(assignment, column)
            if met is not None or due is None or due < day:
                continue
            if added:
                setattr(assignment, column, cal.add_business_days(due, 1))
            else:
                setattr(assignment, column, cal.previous_business_day(due) if cal.is_business_day(day) else due)
            moved += 1
    db.session.flush()
    return moved


# --- where things stand -----------------------------------------------------------------------

@dataclass(frozen=True)
class Standing:
    kind: DeadlineKind
    due_on: date
    overdue: bool
    due_soon: bool
    business_days_left: int  # negative when overdue


def open_deadline(assignment: Assignment, today: date, cal: BusinessCalendar | None = None) -> Standing | None:
    """The deadline the department owes next (acknowledgement first), or
    None when nothing runs: met, paused, or the proposal has moved on."""
    cal = cal or calendar()
    if assignment.status != AssignmentStatus.ACTIVE or assignment.paused_since is not None:
        return None
    if assignment.proposal is not None and assignment.proposal.state not in RUNNING_STATES:
        return None  # decided, or paused: nothing is owed on a clock right now
    if assignment.acknowledged_at is None and assignment.ack_due_on:
        kind, due = DeadlineKind.ACK, assignment.ack_due_on
    elif assignment.answered_at is None and assignment.answer_due_on:
        kind, due = DeadlineKind.ANSWER, assignment.answer_due_on
    else:
        return None
    if today > due:
        left = -cal.business_days_between(due, today)
    else:
        left = cal.business_days_between(today, due)
    reminder = setting("DEADLINE_REMINDER_BUSINESS_DAYS")
    return Standing(kind, due, today > due, today <= due and left <= reminder, left)
