"""Figures for the window's dashboard: what is overdue and due soon in each
department, and each department's response times (median and 90th
percentile, in business days, to acknowledgement and to answer)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.calendar import local_today
from core.extensions import db
from core.models import Department
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, Proposal
from responses import deadlines
from responses.models import DeadlineKind


def percentile(values: list[int], fraction: float) -> float | None:
    """Nearest-rank percentile (no interpolation: a real observed value)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: list[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@dataclass
class DepartmentFigures:
    department: Department
    open: int = 0
    paused: int = 0
    overdue_ack: int = 0
    overdue_answer: int = 0
    soon_ack: int = 0
    soon_answer: int = 0
    ack_days: list[int] = field(default_factory=list)
    answer_days: list[int] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return self.overdue_ack + self.overdue_answer

    @property
    def due_soon(self) -> int:
        return self.soon_ack + self.soon_answer

    def ack_median(self):
        return median(self.ack_days)

    def ack_p90(self):
        return percentile(self.ack_days, 0.9)

    def answer_median(self):
        return median(self.answer_days)

    def answer_p90(self):
        return percentile(self.answer_days, 0.9)


def department_figures(now: datetime, window_days: int = 365) -> list[DepartmentFigures]:
    today = local_today(now)
    cal = deadlines.calendar()
    by_department: dict[int, DepartmentFigures] = {}

    def figures_for(department: Department) -> DepartmentFigures:
        if department.id not in by_department:
            by_department[department.id] = DepartmentFigures(department)
        return by_department[department.id]

    open_rows = db.session.execute(
        sa.select(Assignment, Proposal.state)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Assignment.status == AssignmentStatus.ACTIVE, Proposal.state.in_(
            deadlines.RUNNING_STATES | deadlines.PAUSED_STATES))
        .options(selectinload(Assignment.department), selectinload(Assignment.proposal))
    ).all()
    for assignment, state in open_rows:
        row = figures_for(assignment.department)
        row.open += 1
        if assignment.paused_since is not None or state not in deadlines.RUNNING_STATES:
            row.paused += 1
            continue
        standing = deadlines.open_deadline(assignment, today, cal)
        if standing is None:
            continue
        if standing.overdue:
            if standing.kind == DeadlineKind.ACK:
                row.overdue_ack += 1
            else:
                row.overdue_answer += 1
        elif standing.due_soon:
            if standing.kind == DeadlineKind.ACK:
                row.soon_ack += 1
            else:
                row.soon_answer += 1

    since = now - timedelta(days=window_days)
    done_rows = db.session.scalars(
        sa.select(Assignment).where(Assignment.assigned_at >= since, Assignment.acknowledged_at.is_not(None))
        .options(selectinload(Assignment.department))
    ).all()
    for assignment in done_rows:
        row = figures_for(assignment.department)
        row.ack_days.append(_business_days_taken(cal, assignment, assignment.acknowledged_at,
                                                 assignment.ack_paused_seconds))
        if assignment.answered_at is not None and assignment.role == AssignmentRole.LEAD:
            row.answer_days.append(_business_days_taken(cal, assignment, assignment.answered_at,
                                                        assignment.answer_paused_seconds))
    return sorted(by_department.values(), key=lambda f: (-f.overdue, -f.due_soon, f.department.id))


def _business_days_taken(cal, assignment: Assignment, done_at: datetime, paused_seconds: int) -> int:
    """Business days from assignment to `done_at`, without the time the clock
    stood still for the applicant: the end moves back by that time."""
    end = max(done_at - timedelta(seconds=paused_seconds or 0), assignment.assigned_at)
    return cal.business_days_between(local_today(assignment.assigned_at), local_today(end))


def overdue_items(now: datetime, limit: int = 50) -> list[tuple[Assignment, deadlines.Standing]]:
    """The most overdue assignments first."""
    today = local_today(now)
    cal = deadlines.calendar()
    next_due = sa.case(
        (Assignment.acknowledged_at.is_(None), Assignment.ack_due_on),
        (Assignment.answered_at.is_(None), Assignment.answer_due_on),
        else_=None,
    )
    rows = db.session.scalars(
        sa.select(Assignment)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Assignment.status == AssignmentStatus.ACTIVE, Assignment.paused_since.is_(None),
               Proposal.state.in_(deadlines.RUNNING_STATES), next_due < today)
        .order_by(next_due, Assignment.id)
        .limit(limit)
        .options(selectinload(Assignment.department), selectinload(Assignment.proposal))
    ).all()
    return [(a, deadlines.open_deadline(a, today, cal)) for a in rows]
