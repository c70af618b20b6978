"""Response times: the one definition that /stats and /window/dashboard show.

A department's response time is counted in **business days** (開庁日,
`core.calendar.BusinessCalendar`: weekends, public holidays, 12/29–1/3 and the
city's closed days do not count), from the Tokyo date it was assigned to the
Tokyo date it acknowledged or answered, after moving the end back by the time
the clock stood still while the applicant owed an answer (the department is
not charged with the applicant's time). Business days because every deadline
the city promises is in business days (docs/deadlines.md): a figure in the
same unit can be read against the promise.

- **to acknowledge**: every assigned department, lead and co-departments
  alike (each owes an acknowledgement);
- **to answer**: the lead only. The lead's adopt / not-adopt is the city's
  answer to the applicant; a co-department's opinion goes to the lead, not to
  the applicant, so it is not an answer.

Median: `statistics.median` (the mean of the two middle values for an even
count). 90th percentile: `statistics.quantiles(..., method="inclusive")`,
linear interpolation between the closest ranks, which is what PostgreSQL's
`percentile_cont` computes, so the SQL below gives the same figures.

`summaries_by_department()` computes these in SQL for /stats and the
dashboard (no rows reach Python: 100,000 proposals, `make bench`);
`business_days_taken()` and `Summary.of()` state the same in Python, and
`tests/test_metrics.py` checks that both give the same figures.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from core.calendar import BusinessCalendar, local_today
from core.extensions import db
from proposals.models import Assignment, AssignmentRole, Proposal

PERCENTILE = 0.9
# Whose answers count as the city's answer (see the module docstring).
ANSWER_ROLES = (AssignmentRole.LEAD,)


def business_days_taken(calendar: BusinessCalendar, assigned_at: datetime, done_at: datetime,
                        paused_seconds: int | None) -> int:
    """Business days from assignment to `done_at`, the end moved back by the
    time the clock stood still for the applicant (never before the start)."""
    end = max(done_at - timedelta(seconds=paused_seconds or 0), assigned_at)
    return calendar.business_days_between(local_today(assigned_at), local_today(end))


def median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def percentile_90(values: list[int]) -> float | None:
    if not values:
        return None
    if len(values) == 1:  # quantiles() needs two points; one value is its own percentile
        return float(values[0])
    return float(statistics.quantiles(values, n=10, method="inclusive")[8])


@dataclass(frozen=True)
class Summary:
    """How many, median and 90th percentile (business days, one decimal)."""

    n: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: list[int]) -> "Summary":
        return cls(len(values), _rounded(median(values)), _rounded(percentile_90(values)))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- the same in SQL ----------------------------------------------------------------------------

def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _local_date(moment, minus_seconds=None):
    """The Asia/Tokyo calendar date of a UTC timestamp (less some seconds), in SQL."""
    seconds = sa.func.coalesce(minus_seconds, 0) if minus_seconds is not None else None
    if _is_postgresql():
        if seconds is not None:
            moment = moment - seconds * sa.literal_column("interval '1 second'")
        return sa.cast(sa.func.timezone("Asia/Tokyo", moment), sa.Date)
    if seconds is None:
        return sa.func.date(moment, "+9 hours")
    return sa.func.date(moment, "+9 hours", sa.literal("-") + sa.cast(seconds, sa.Text) + " seconds")


def _business_day_numbers(calendar: BusinessCalendar, first: date, last: date):
    """A table of (day, number): the business days on or before `day` since
    `first`, for every day from `first` to `last`. Business days between two
    days are the difference of their numbers."""
    rows, number, day = [], 0, first
    while day <= last:
        number += calendar.is_business_day(day)
        rows.append((day, number))
        day += timedelta(days=1)
    return (sa.values(sa.column("day", sa.Date), sa.column("number", sa.Integer), name="numbers")
            .data(rows).cte("business_days"))


def summaries_by_department(calendar: BusinessCalendar, end_column, paused_column, *,
                            roles=None, fiscal_year: int | None = None,
                            assigned_since: datetime | None = None) -> dict[int, Summary]:
    """Per department: `Summary` of the business days from `assigned_at` to
    `end_column` (acknowledged_at / answered_at), as `business_days_taken`;
    the dashboard's are those assigned since a year ago (`assigned_since`)."""
    conditions = [end_column.is_not(None), end_column >= Assignment.assigned_at]
    if roles:
        conditions.append(Assignment.role.in_(roles))
    if assigned_since is not None:
        conditions.append(Assignment.assigned_at >= assigned_since)
    if fiscal_year:
        conditions.append(Assignment.proposal_id.in_(
            sa.select(Proposal.id).where(Proposal.fiscal_year == fiscal_year)))
    first, last = db.session.execute(
        sa.select(sa.func.min(Assignment.assigned_at), sa.func.max(end_column)).where(*conditions)).one()
    if first is None:
        return {}
    numbers = _business_day_numbers(calendar, local_today(first) - timedelta(days=1),
                                    local_today(last) + timedelta(days=1))
    start, end = numbers.alias("start_day"), numbers.alias("end_day")
    # A pause longer than the time taken moves the end before the table (no row: number 0) or before
    # the start: 0 days, never negative.
    elapsed = sa.func.coalesce(end.c.number, 0) - start.c.number
    days = sa.case((elapsed < 0, 0), else_=elapsed)
    durations = (
        sa.select(Assignment.department_id.label("department_id"), days.label("days"))
        # Outer joins also for the start (always found): SQLite keeps the order of LEFT JOINs, so it scans
        # the assignments once and looks each date up (an automatic index), instead of scanning every
        # assignment for every day of the table (minutes at 100,000 proposals).
        .outerjoin(start, start.c.day == _local_date(Assignment.assigned_at))
        .outerjoin(end, end.c.day == _local_date(end_column, paused_column))
        .where(*conditions)
    )
    if _is_postgresql():
        durations = durations.subquery()
        rows = db.session.execute(
            sa.select(durations.c.department_id, sa.func.count(),
                      sa.func.percentile_cont(0.5).within_group(durations.c.days),
                      sa.func.percentile_cont(PERCENTILE).within_group(durations.c.days))
            .group_by(durations.c.department_id)).all()
        return {dept: Summary(int(n), _rounded(float(p50)), _rounded(float(p90))) for dept, n, p50, p90 in rows}
    return _interpolated_on_sqlite(durations.cte("durations").prefix_with("MATERIALIZED"))


def _interpolated_on_sqlite(durations) -> dict[int, Summary]:
    """percentile_cont by hand: rank the durations per department, fetch the
    two values around each percentile's position (n - 1) * p, interpolate."""
    ranked = sa.select(
        durations.c.department_id, durations.c.days,
        sa.func.row_number().over(partition_by=durations.c.department_id, order_by=durations.c.days).label("rn"),
        sa.func.count().over(partition_by=durations.c.department_id).label("n"),
    ).subquery()

    def value_at(tenths: int, above: int):
        # 0-based position floor((n - 1) * tenths / 10), as a 1-based row number, plus `above`.
        row = (ranked.c.n - 1) * tenths // 10 + 1 + above
        return sa.func.max(sa.case((ranked.c.rn == row, ranked.c.days)))

    tenths_90 = round(PERCENTILE * 10)
    rows = db.session.execute(
        sa.select(ranked.c.department_id, sa.func.max(ranked.c.n), value_at(5, 0), value_at(5, 1),
                  value_at(tenths_90, 0), value_at(tenths_90, 1))
        .group_by(ranked.c.department_id)).all()
    summaries = {}
    for dept, n, mid_low, mid_high, p_low, p_high in rows:
        summaries[dept] = Summary(int(n), _rounded(_between(mid_low, mid_high, (n - 1) * 5 % 10 / 10)),
                                  _rounded(_between(p_low, p_high, (n - 1) * tenths_90 % 10 / 10)))
    return summaries


def _between(low, high, fraction: float) -> float:
    if high is None or not fraction:
        return float(low)
    return low + (high - low) * fraction
