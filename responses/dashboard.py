"""Figures for the window's dashboard: what is overdue and due soon in each
department, and each department's response times (median and 90th
percentile, in business days, to acknowledgement and to the lead's answer),
as `proposals.metrics` defines them for /stats too."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from core.calendar import local_today
from core.extensions import db
from core.models import Department
from proposals import metrics
from proposals.models import Assignment, AssignmentStatus, Proposal
from responses import deadlines

NO_TIMES = metrics.Summary.of([])


@dataclass
class DepartmentFigures:
    department: Department
    open: int = 0
    paused: int = 0
    overdue_ack: int = 0
    overdue_answer: int = 0
    soon_ack: int = 0
    soon_answer: int = 0
    ack: metrics.Summary = NO_TIMES
    answer: metrics.Summary = NO_TIMES

    @property
    def overdue(self) -> int:
        return self.overdue_ack + self.overdue_answer

    @property
    def due_soon(self) -> int:
        return self.soon_ack + self.soon_answer

    def ack_times(self) -> metrics.Summary:
        return self.ack

    def answer_times(self) -> metrics.Summary:
        return self.answer


def department_figures(now: datetime, window_days: int = 365) -> list[DepartmentFigures]:
    """Counted and summarised by the database (GROUP BY, percentiles):
    no assignment is loaded, whatever the city's size."""
    cal = deadlines.calendar()
    counts = _open_counts(local_today(now), cal)
    ack, answer = _response_times(now, window_days, cal)
    ids = set(counts) | set(ack) | set(answer)
    departments = db.session.scalars(sa.select(Department).where(Department.id.in_(ids))).all() if ids else []
    figures = [DepartmentFigures(department, **counts.get(department.id, {}), ack=ack.get(department.id, NO_TIMES),
                                 answer=answer.get(department.id, NO_TIMES)) for department in departments]
    return sorted(figures, key=lambda f: (-f.overdue, -f.due_soon, f.department.id))


def _response_times(now: datetime, window_days: int, cal) -> tuple[dict, dict]:
    """A year of response times per department (proposals.metrics): they
    move slowly, so each process keeps them DASHBOARD_TIMES_CACHE_SECONDS
    (default 300; 0 under TESTING) while the counts above stay live: at
    100,000 proposals the percentiles take the database about a second."""
    seconds = current_app.config.get("DASHBOARD_TIMES_CACHE_SECONDS", 0 if current_app.testing else 300)
    store = current_app.extensions.setdefault("dashboard_times_cache", {})
    key = (local_today(now), window_days)
    hit = store.get(key)
    if seconds and hit is not None and hit[0] > time.monotonic():
        return hit[1]
    since = now - timedelta(days=window_days)
    times = (metrics.summaries_by_department(cal, Assignment.acknowledged_at, Assignment.ack_paused_seconds,
                                             assigned_since=since),
             metrics.summaries_by_department(cal, Assignment.answered_at, Assignment.answer_paused_seconds,
                                             roles=metrics.ANSWER_ROLES, assigned_since=since))
    if seconds:
        store.clear()  # one day's figures at a time
        store[key] = (time.monotonic() + seconds, times)
    return times


def _open_counts(today: date, cal) -> dict[int, dict[str, int]]:
    """Per department, its open assignments: how many, how many paused, and
    of the running ones the deadline owed next (acknowledgement, then
    answer) overdue or due soon, as deadlines.open_deadline() decides one
    by one: due soon is on or after today and at most
    DEADLINE_REMINDER_BUSINESS_DAYS business days away."""
    soon_before = cal.add_business_days(today, deadlines.setting("DEADLINE_REMINDER_BUSINESS_DAYS") + 1)
    running = sa.and_(Assignment.paused_since.is_(None), Proposal.state.in_(deadlines.RUNNING_STATES))
    owes_ack = sa.and_(Assignment.acknowledged_at.is_(None), Assignment.ack_due_on.is_not(None))
    owes_answer = sa.and_(~owes_ack, Assignment.answered_at.is_(None), Assignment.answer_due_on.is_not(None))

    def how_many(*conditions):
        return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*conditions), 1), else_=0)), 0)

    rows = db.session.execute(
        sa.select(
            Assignment.department_id, sa.func.count(), how_many(~running),
            how_many(running, owes_ack, Assignment.ack_due_on < today),
            how_many(running, owes_answer, Assignment.answer_due_on < today),
            how_many(running, owes_ack, Assignment.ack_due_on >= today, Assignment.ack_due_on < soon_before),
            how_many(running, owes_answer, Assignment.answer_due_on >= today, Assignment.answer_due_on < soon_before),
        )
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Assignment.status == AssignmentStatus.ACTIVE,
               Proposal.state.in_(deadlines.RUNNING_STATES | deadlines.PAUSED_STATES))
        .group_by(Assignment.department_id)
    ).all()
    names = ("open", "paused", "overdue_ack", "overdue_answer", "soon_ack", "soon_answer")
    return {row[0]: dict(zip(names, (int(n) for n in row[1:]), strict=True)) for row in rows}


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
