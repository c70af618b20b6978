"""One definition of response time (proposals.metrics): the SQL that /stats runs gives the same
figures as the Python the dashboard runs, on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from conftest import department_id
from public_helpers import place

from core.calendar import BusinessCalendar
from core.extensions import db
from core.models import ClosedDay
from proposals import metrics
from proposals.models import Assignment, AssignmentRole, AssignmentStatus
from public import statistics

DEPARTMENTS = ("ward-asao", "ward-tama", "kankyo", "somu-kikaku")


def _random_assignments(make_proposal, rng: random.Random) -> list[Assignment]:
    """Assignments over a year with Golden Week, the year-end closing and a closed day, in every
    role, some acknowledged or answered at night (another Tokyo date), some paused for the applicant."""
    proposals = [place(make_proposal, "adopted", fy=2025, wards=("ward-asao",), themes=("disaster",))
                 for _ in range(6)]
    made = []
    for code in DEPARTMENTS:
        for n in range(rng.randint(1, 14)):  # a department with one figure, others with even and odd counts
            assigned = datetime(2025, 4, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            acked = assigned + timedelta(minutes=rng.randint(0, 12 * 24 * 60))
            answered = acked + timedelta(minutes=rng.randint(0, 40 * 24 * 60)) if rng.random() < 0.7 else None
            made.append(Assignment(
                proposal_id=proposals[n % len(proposals)].id, department_id=department_id(code),
                role=rng.choice([AssignmentRole.LEAD, AssignmentRole.LEAD, AssignmentRole.CO]),
                status=AssignmentStatus.CLOSED, assigned_at=assigned, acknowledged_at=acked, answered_at=answered,
                ack_paused_seconds=rng.choice([0, 0, 3600, 2 * 86400]),
                answer_paused_seconds=rng.choice([0, 0, 5 * 86400, 60 * 86400]),  # 60 days: more than it took
            ))
    db.session.add_all(made)
    db.session.add(ClosedDay(day=date(2025, 10, 1), reason="システム更新"))
    db.session.commit()
    return made


def _in_python(assignments: list[Assignment], done_at: str, paused: str, roles) -> dict[str, metrics.Summary]:
    calendar = BusinessCalendar.from_database()
    days: dict[str, list[int]] = {}
    for assignment in assignments:
        if getattr(assignment, done_at) is None or (roles and assignment.role not in roles):
            continue
        days.setdefault(assignment.department.code, []).append(metrics.business_days_taken(
            calendar, assignment.assigned_at, getattr(assignment, done_at), getattr(assignment, paused)))
    return {code: metrics.Summary.of(values) for code, values in days.items()}


def test_the_sql_of_stats_and_the_python_of_the_dashboard_agree(make_proposal):
    for seed in (1, 2, 3):
        db.session.query(Assignment).delete()
        db.session.query(ClosedDay).delete()
        assignments = _random_assignments(make_proposal, random.Random(seed))
        for assignment in assignments:
            db.session.refresh(assignment)
        ack = _in_python(assignments, "acknowledged_at", "ack_paused_seconds", None)
        answer = _in_python(assignments, "answered_at", "answer_paused_seconds", metrics.ANSWER_ROLES)
        rows = {r["code"]: r for r in statistics.by_department()}
        assert set(rows) == set(DEPARTMENTS)
        for code in DEPARTMENTS:
            row = rows[code]
            assert metrics.Summary(row["ack_n"], row["ack_median"], row["ack_p90"]) == ack[code], (seed, code)
            expected = answer.get(code, metrics.Summary(0, None, None))
            assert metrics.Summary(row["answer_n"], row["answer_median"], row["answer_p90"]) == expected, (seed, code)


def test_a_closed_day_does_not_count():
    calendar = BusinessCalendar({date(2026, 6, 3)})
    monday = datetime(2026, 6, 1, 1, tzinfo=UTC)
    assert metrics.business_days_taken(calendar, monday, monday + timedelta(days=3), 0) == 2  # Tue, Thu
    assert metrics.business_days_taken(BusinessCalendar(), monday, monday + timedelta(days=3), 0) == 3
