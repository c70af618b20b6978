"""The figures of /stats and the API's statistics: counts over every submitted
proposal, grouped by the database (GROUP BY and window functions), kept in a
summary table (stats_snapshots) the beat recounts every five minutes, so a cold
page reads rows instead of recounting every proposal (bench/run.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from core.calendar import BusinessCalendar
from core.columns import utcnow
from core.extensions import db
from core.models import Department, DepartmentKind, Organisation, OrganisationKind
from proposals import metrics
from proposals.models import Assignment, Proposal, ProposalTheme, ProposalWard, State
from public.queries import ADOPTED_STATES, DECIDED_STATES, fiscal_years, themes, wards


@dataclass(frozen=True)
class Named:
    """A department or theme as the statistics show it: plain data, safe to cache."""

    code: str
    name_ja: str
    name_en: str

    @classmethod
    def of(cls, thing) -> "Named":
        return cls(thing.code, thing.name_ja, thing.name_en)

    def name(self, locale: str = "ja") -> str:
        return self.name_en if locale == "en" else self.name_ja


def cached(name: str, fy: int | None, compute):
    """Statistics are recounted at most every PUBLIC_STATS_CACHE_SECONDS
    (default 300; 0 under TESTING: always counted) and never by a visitor's
    request while the beat keeps them fresh: the figures are kept in
    stats_snapshots (a summary table, refreshed every five minutes by the
    task public.refresh_stats), with each process's copy in front. A
    snapshot missing, or older than twice the refresh (no beat running, as
    in the embedded default), is counted by the request and stored."""
    seconds = current_app.config.get("PUBLIC_STATS_CACHE_SECONDS", 0 if current_app.testing else 300)
    if not seconds:
        return compute()
    store = current_app.extensions.setdefault("public_stats_cache", {})
    key = (name, fy)
    hit = store.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    value = _read_snapshot(name, fy, max_age=timedelta(seconds=2 * seconds))
    if value is None:
        value = compute()
        _write_snapshot(name, fy, value)
    store[key] = (now + seconds, value)
    return value


# The figures by name, for the refresh (the views pass the same functions to cached()).
SNAPSHOTS = {
    "years_list": lambda fy: fiscal_years(),
    "totals": lambda fy: totals(fy),
    "years": lambda fy: by_fiscal_year(),
    "wards": lambda fy: by_ward(fy),
    "themes": lambda fy: by_theme(fy),
    "kinds": lambda fy: by_organisation_kind(fy),
    "departments": lambda fy: by_department(fy),
}


def _to_json(value):
    if isinstance(value, Named):
        return {"__named__": [value.code, value.name_ja, value.name_en]}
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    return value


def _from_json(value):
    if isinstance(value, dict):
        if "__named__" in value:
            return Named(*value["__named__"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _read_snapshot(name: str, fy: int | None, max_age: timedelta):
    from public.models import StatsSnapshot

    row = db.session.execute(sa.select(StatsSnapshot.value, StatsSnapshot.computed_at).where(
        StatsSnapshot.name == name, StatsSnapshot.fiscal_year == (fy or 0))).first()
    if row is None or row.computed_at < utcnow() - max_age:
        return None
    return _from_json(row.value)


def _write_snapshot(name: str, fy: int | None, value) -> None:
    """In its own short transaction: a page that reads does not commit, and
    two processes storing the same figure at once both succeed (the last wins)."""
    from public.models import StatsSnapshot

    try:
        with Session(db.engine) as session, session.begin():
            row = session.get(StatsSnapshot, (name, fy or 0))
            if row is None:
                row = StatsSnapshot(name=name, fiscal_year=fy or 0)
                session.add(row)
            row.value, row.computed_at = _to_json(value), utcnow()
    except sa.exc.IntegrityError:
        pass  # another process stored it first: theirs is as fresh


def refresh_snapshots() -> int:
    """Recount every stored figure (and the all-years ones); the beat runs this."""
    from public.models import StatsSnapshot

    keys = {(name, fy) for name, fy in db.session.execute(sa.select(StatsSnapshot.name, StatsSnapshot.fiscal_year))}
    keys |= {(name, 0) for name in SNAPSHOTS}
    for name, fy in sorted(keys):
        if name in SNAPSHOTS:
            _write_snapshot(name, fy or None, SNAPSHOTS[name](fy or None))
    return len(keys)


def _submitted(fy: int | None):
    conditions = [Proposal.state != State.DRAFT, Proposal.submitted_at.is_not(None)]
    if fy:
        conditions.append(Proposal.fiscal_year == fy)
    return conditions


def _adopted_count():
    return sa.func.sum(sa.case((Proposal.state.in_(ADOPTED_STATES), 1), else_=0))


def _decided_count():
    return sa.func.sum(sa.case((Proposal.state.in_(DECIDED_STATES), 1), else_=0))


def by_fiscal_year() -> list[dict]:
    """Per fiscal year: proposals received, adopted, not adopted, adoption rate."""
    rows = db.session.execute(
        sa.select(Proposal.fiscal_year, sa.func.count(), _adopted_count(), _decided_count())
        .where(*_submitted(None)).group_by(Proposal.fiscal_year).order_by(Proposal.fiscal_year)
    ).all()
    return [_with_rate({"fiscal_year": fy, "proposals": n, "adopted": int(a or 0), "decided": int(d or 0)})
            for fy, n, a, d in rows]


def _with_rate(row: dict) -> dict:
    row["not_adopted"] = row["decided"] - row["adopted"]
    row["adoption_rate"] = round(100.0 * row["adopted"] / row["decided"], 1) if row["decided"] else None
    return row


def by_ward(fy: int | None = None) -> list[dict]:
    """Per ward where the activity takes place; city-wide proposals (no ward) apart."""
    counts = dict(
        (ward_id, (n, a, d)) for ward_id, n, a, d in db.session.execute(
            sa.select(ProposalWard.ward_id, sa.func.count(), _adopted_count(), _decided_count())
            .join(Proposal, Proposal.id == ProposalWard.proposal_id)
            .where(*_submitted(fy)).group_by(ProposalWard.ward_id)
        )
    )
    rows = []
    for ward in wards():
        n, a, d = counts.get(ward.id, (0, 0, 0))
        area = Named(ward.code, ward.area_name("ja"), ward.area_name("en"))  # 麻生区, not 麻生区役所
        rows.append(_with_rate({"code": ward.code, "department": area, "proposals": n, "adopted": int(a or 0),
                                "decided": int(d or 0)}))
    n, a, d = db.session.execute(
        sa.select(sa.func.count(), _adopted_count(), _decided_count())
        .where(*_submitted(fy), ~sa.exists().where(ProposalWard.proposal_id == Proposal.id))
    ).one()
    rows.append(_with_rate({"code": "citywide", "department": None, "proposals": n, "adopted": int(a or 0),
                            "decided": int(d or 0)}))
    return rows


def by_theme(fy: int | None = None) -> list[dict]:
    counts = dict(
        (theme_id, (n, a, d)) for theme_id, n, a, d in db.session.execute(
            sa.select(ProposalTheme.theme_id, sa.func.count(), _adopted_count(), _decided_count())
            .join(Proposal, Proposal.id == ProposalTheme.proposal_id)
            .where(*_submitted(fy)).group_by(ProposalTheme.theme_id)
        )
    )
    rows = []
    for theme in themes():
        n, a, d = counts.get(theme.id, (0, 0, 0))
        rows.append(_with_rate({"code": theme.code, "theme": Named.of(theme), "proposals": n, "adopted": int(a or 0),
                                "decided": int(d or 0)}))
    return rows


def by_organisation_kind(fy: int | None = None) -> list[dict]:
    counts = {
        kind: (n, a, d) for kind, n, a, d in db.session.execute(
            sa.select(Organisation.kind, sa.func.count(), _adopted_count(), _decided_count())
            .join(Proposal, Proposal.organisation_id == Organisation.id)
            .where(*_submitted(fy)).group_by(Organisation.kind)
        )
    }
    rows = []
    for kind in OrganisationKind:
        n, a, d = counts.get(kind, (0, 0, 0))
        rows.append(_with_rate({"code": kind.value, "proposals": n, "adopted": int(a or 0),
                                "decided": int(d or 0)}))
    return rows


def totals(fy: int | None = None) -> dict:
    n, a, d = db.session.execute(
        sa.select(sa.func.count(), _adopted_count(), _decided_count()).where(*_submitted(fy))
    ).one()
    return _with_rate({"proposals": n, "adopted": int(a or 0), "decided": int(d or 0)})


def _local_date(moment):
    """The Asia/Tokyo calendar date of a UTC timestamp, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.timezone("Asia/Tokyo", moment), sa.Date)
    return sa.func.date(moment, "+9 hours")


def _within_deadline(fy: int | None) -> dict[int, tuple[int, int]]:
    answered_on = _local_date(Assignment.answered_at)
    query = sa.select(
        Assignment.department_id,
        sa.func.count(),
        sa.func.sum(sa.case((answered_on <= Assignment.answer_due_on, 1), else_=0)),
    ).where(Assignment.answered_at.is_not(None), Assignment.answer_due_on.is_not(None))
    if fy:
        query = query.join(Proposal, Proposal.id == Assignment.proposal_id).where(Proposal.fiscal_year == fy)
    return {dept: (int(n), int(ok or 0)) for dept, n, ok in db.session.execute(query.group_by(Assignment.department_id))}


def by_department(fy: int | None = None) -> list[dict]:
    """Each department's business days to acknowledgement (every assigned
    department) and to answer (the lead's), median and 90th percentile, as
    `proposals.metrics` defines them, and its share answered by the deadline."""
    calendar = BusinessCalendar.from_database()
    ack = metrics.summaries_by_department(calendar, Assignment.acknowledged_at, Assignment.ack_paused_seconds,
                                          fiscal_year=fy)
    answer = metrics.summaries_by_department(calendar, Assignment.answered_at, Assignment.answer_paused_seconds,
                                             roles=metrics.ANSWER_ROLES, fiscal_year=fy)
    deadline = _within_deadline(fy)
    ids = set(ack) | set(answer) | set(deadline)
    departments = {d.id: d for d in db.session.scalars(sa.select(Department).where(Department.id.in_(ids)))}
    rows = []
    for dept_id in sorted(ids, key=lambda i: (departments[i].kind != DepartmentKind.TRIAGE, departments[i].id)):
        answered, on_time = deadline.get(dept_id, (0, 0))
        nothing = metrics.Summary(0, None, None)
        acked, decided = ack.get(dept_id, nothing), answer.get(dept_id, nothing)
        rows.append({
            "code": departments[dept_id].code,
            "department": Named.of(departments[dept_id]),
            "ack_n": acked.n,
            "ack_median": acked.median,
            "ack_p90": acked.p90,
            "answer_n": decided.n,
            "answer_median": decided.median,
            "answer_p90": decided.p90,
            "answered_with_deadline": answered,
            "on_time": on_time,
            "on_time_rate": round(100.0 * on_time / answered, 1) if answered else None,
        })
    return rows
