"""Figures for the window's dashboard: what is overdue and due soon in each
department, and each department's response times (median and 90th
percentile, in business days, to acknowledgement and to the lead's answer),
as `proposals.metrics` defines them for /stats too."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.calendar import local_today
from core.extensions import db
from core.models import Department
from proposals import metrics
from proposals.models import Assignment, AssignmentStatus, Proposal
from responses import deadlines
from responses.models import DeadlineKind


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

    def ack_times(self) -> metrics.Summary:
        return metrics.Summary.of(self.ack_days)

    def answer_times(self) -> metrics.Summary:
        return metrics.Summary.of(self.answer_days)


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
        row.ack_days.append(metrics.business_days_taken(cal, assignment.assigned_at, assignment.acknowledged_at,
                                                        assignment.ack_paused_seconds))
        if assignment.answered_at is not None and assignment.role in metrics.ANSWER_ROLES:
            row.answer_days.append(metrics.business_days_taken(cal, assignment.assigned_at, assignment.answered_at,
                                                               assignment.answer_paused_seconds))
    return sorted(by_department.values(), key=lambda f: (-f.overdue, -f.due_soon, f.department.id))


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
