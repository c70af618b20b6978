"""The bench's data set: a city's three years of proposals, generated
through the real models (their tables, their enums, their constraints).

    generate(scale, today)   # inside an app context on an empty, migrated database

What it builds, for `scale` proposals (default 100,000), all dates relative
to `today` so the pages and the sweep see a living city:

- organisations: scale / 10, of every kind (NPOs and civic groups most
  common); one applicant account and membership per organisation;
- staff: per bureau and ward office 3 staff and 1 manager; the window 6
  staff and 2 managers; 2 administrators (password "bench-pass");
- proposals: submitted over the last three years (fewer at weekends);
  1-3 themes each (a few themes are far more common, as in any city);
  0-2 wards weighted by the wards' population (none = city-wide);
- states by age: the last days mostly in triage, the last two months mostly
  with departments, older ones mostly decided or finished; a backlog of a
  few percent stays open for a year (that is what the sweep escalates);
- assignments: a lead (the theme's bureau, or the ward office for a
  ward-level theme) and for a third a co-department; due dates in business
  days from the day of assignment (5 to acknowledge, 20 to answer); the
  finished ones acknowledged and answered at realistic delays;
- waits on the window (triage) and the applicant (info_requested);
- one state_changed event per proposal; reference counters set, so the
  form's submissions continue the numbering;
- consent: 70% consent to publication, recorded with the form's current
  consent version (proposals.audiences.published counts a proposal as public
  only with one), so /catalogue and /partners list real data.

No search index is built (search_documents stays empty): indexing 100,000
proposals through SudachiPy takes about 20 minutes, and none of the pages
measured queries it (/catalogue and /partners search only with a q).

Rows are copied in bulk (PostgreSQL COPY) into the models' tables, with
the models' defaults: the bench measures the product, not the generator.
"""

from __future__ import annotations

import enum
import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from psycopg.types.json import Jsonb

from core.calendar import TOKYO, BusinessCalendar
from core.extensions import db
from core.models import Department, DepartmentKind, Event, Membership, Organisation, Role, Theme, User
from proposals.models import Assignment, Proposal, ProposalTheme, ProposalWard, ReferenceCounter
from proposals.visibility import CURRENT_CONSENT_VERSION
from responses.models import Wait

CHUNK = 5_000
PASSWORD = "bench-pass"
# Population of Kawasaki's wards (thousands, 2024): where activities take place.
WARD_WEIGHTS = {"ward-kawasaki": 232, "ward-saiwai": 171, "ward-nakahara": 264, "ward-takatsu": 235,
                "ward-miyamae": 232, "ward-tama": 221, "ward-asao": 181}
KIND_WEIGHTS = {"npo_corp": 30, "civic_group": 30, "neighborhood_assoc": 12, "company": 10, "university": 4,
                "school": 3, "social_welfare_council": 3, "intermediary": 3, "other": 5}
# (max age in days, {state: weight}): the younger a proposal, the likelier it is still open.
STATES_BY_AGE = [
    (3, {"triage": 80, "submitted": 5, "assigned": 15}),
    (60, {"triage": 5, "assigned": 40, "in_consultation": 20, "info_requested": 5, "adopted": 15,
          "not_adopted": 10, "withdrawn": 5}),
    (365, {"triage": 1, "assigned": 8, "in_consultation": 8, "info_requested": 2, "adopted": 20, "not_adopted": 22,
           "in_progress": 20, "completed": 12, "withdrawn": 7}),
    (10_000, {"assigned": 1, "in_consultation": 1, "adopted": 8, "not_adopted": 30, "in_progress": 8,
              "completed": 27, "evaluated": 18, "withdrawn": 7}),
]
OPEN_WITH_DEPARTMENTS = {"assigned", "in_consultation", "info_requested"}
DECIDED = {"adopted", "not_adopted", "in_progress", "completed", "evaluated"}
TITLES = ["{ward}の子ども食堂と学習支援", "{ward}で高齢者の見守りネットワーク", "{ward}の公園で花いっぱい運動",
          "多文化の親子が集う{ward}の日本語教室", "{ward}の商店街でシェアサイクル実証", "{ward}の防災マップづくり",
          "空き家を活かした{ward}の地域の居場所", "{ward}の河川敷清掃と環境学習", "{ward}で障害のある人の就労体験"]


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _moment(day: date, rng: random.Random) -> datetime:
    """A moment during office hours on a Tokyo day, in UTC."""
    local = datetime.combine(day, time(9), tzinfo=TOKYO) + timedelta(minutes=rng.randrange(9 * 60))
    return local.astimezone(UTC)


def _fiscal_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _insert(model, rows: list[dict], returning=None) -> list:
    """COPY rows into the model's table: the columns the model declares, its
    Python-side defaults filled in as the ORM would; ids are given here (the
    sequences are moved past them at the end), so `returning` gives them back."""
    if not rows:
        return []
    table = model.__table__
    if returning is not None:
        next_id = _next_ids.get(table.name) or (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
        for offset, row in enumerate(rows):
            row["id"] = next_id + offset
        _next_ids[table.name] = next_id + len(rows)
    columns = [c for c in table.columns if c.name in rows[0] or _python_default(c) is not None]
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(c.name for c in columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_value(row[c.name] if c.name in row else _python_default(c)()) for c in columns])
    return [row["id"] for row in rows] if returning is not None else []


_next_ids: dict[str, int] = {}


def _python_default(column):
    default = column.default
    if default is None or not (default.is_callable or default.is_scalar):
        return None
    return (lambda: default.arg(None)) if default.is_callable else (lambda: default.arg)


def _value(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dict, list)):
        return Jsonb(value)
    return value


def _move_sequences() -> None:
    for table, next_id in _next_ids.items():
        db.session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {next_id})"))


def _staff(password_hash: str) -> dict[str, list[int]]:
    departments = db.session.scalars(sa.select(Department).order_by(Department.id)).all()
    rows = []
    for dept in departments:
        if dept.kind == DepartmentKind.TRIAGE:
            people = [(Role.WINDOW, 6), (Role.DEPARTMENT_MANAGER, 2)]
        else:
            people = [(Role.DEPARTMENT_STAFF, 3), (Role.DEPARTMENT_MANAGER, 1)]
        for role, count in people:
            rows += [{"email": f"{role.value}-{n}@{dept.code}.bench.invalid", "role": role, "department_id": dept.id,
                      "password_hash": password_hash, "name": f"{dept.name_ja} {n}"} for n in range(count)]
    rows += [{"email": f"admin-{n}@bench.invalid", "role": Role.ADMIN, "department_id": None,
              "password_hash": password_hash, "name": f"管理者 {n}"} for n in range(2)]
    _insert(User, rows)
    return {d.code: d.id for d in departments}


def generate(scale: int, today: date, seed: int = 16) -> dict:
    """Fill the database; returns counts of what was built."""
    from core.auth import hash_password

    rng = random.Random(seed)
    cal = _MemoCalendar(BusinessCalendar.from_database())
    password_hash = hash_password(PASSWORD)
    department_ids = _staff(password_hash)
    window_id = db.session.scalar(sa.select(Department.id).where(Department.kind == DepartmentKind.TRIAGE))
    themes = db.session.scalars(sa.select(Theme).where(Theme.active).order_by(Theme.position)).all()
    # A long tail: the first themes of a shuffled list are far more common (Zipf-like).
    theme_weights = {t: 1 / (rank + 1) for rank, t in enumerate(rng.sample(themes, len(themes)))}
    ward_ids = {code: department_ids[code] for code in WARD_WEIGHTS}

    organisations = max(scale // 10, 10)
    org_ids = _insert(Organisation, [
        {"name": f"ベンチ団体{n}", "kind": _weighted(rng, KIND_WEIGHTS), "city": "川崎市"}
        for n in range(organisations)], returning=Organisation.id)
    user_ids = _insert(User, [
        {"email": f"applicant-{n}@bench.invalid", "role": Role.APPLICANT, "password_hash": None,
         "name": f"提案者{n}"} for n in range(organisations)], returning=User.id)
    _insert(Membership, [{"user_id": u, "organisation_id": o} for u, o in zip(user_ids, org_ids, strict=True)])

    days_back = 3 * 365
    counters: Counter = Counter()
    proposals, extras = [], []
    for _ in range(scale):
        while True:  # fewer proposals at weekends
            day = today - timedelta(days=rng.randrange(days_back))
            if day.weekday() < 5 or rng.random() < 0.3:
                break
        age = (today - day).days
        state = _weighted(rng, next(w for limit, w in STATES_BY_AGE if age < limit))
        submitted = _moment(day, rng)
        fy = _fiscal_year(day)
        counters[fy] += 1
        picked = []
        for theme in rng.choices(list(theme_weights), weights=list(theme_weights.values()), k=rng.choice([1, 2, 2, 3])):
            if theme not in picked:
                picked.append(theme)
        wards = list({_weighted(rng, WARD_WEIGHTS) for _ in range(rng.choice([0, 1, 1, 1, 1, 2]))})
        ward = wards[0] if wards else None
        ward_name = "川崎市" if ward is None else ward.removeprefix("ward-").capitalize()
        lead = None
        if state not in ("triage", "submitted"):
            owner = picked[0].owner_id or window_id
            lead = ward_ids[ward] if ward and picked[0].ward_level and rng.random() < 0.6 else owner
        org = rng.randrange(organisations)
        consent = rng.random() < 0.7
        proposals.append({
            "reference": f"KW-{fy}-{counters[fy]:06d}", "fiscal_year": fy, "state": state,
            "organisation_id": org_ids[org], "created_by_id": user_ids[org],
            "title": rng.choice(TITLES).format(ward=ward_name), "summary": "地域の人と市が一緒に取り組む提案です。",
            "issue": "地域の担い手が減り、支え合いの場が少なくなっています。",
            "activities": "月に2回、地域の集会所で活動します。",
            "scope": "citywide" if not wards else ("ward" if len(wards) == 1 else "multi_ward"),
            "stage": "seed" if rng.random() < 0.3 else "established",
            "partners_wanted": rng.sample(["company", "npo", "university", "school"], rng.randint(1, 2))
            if rng.random() < 0.25 else [],
            "consent_privacy": True, "consent_publish": consent,
            # Public only with a recorded consent version (proposals.audiences.published): the form's current one.
            "consent_version": CURRENT_CONSENT_VERSION if consent else None,
            "publication_approved": consent and state in DECIDED and rng.random() < 0.8,
            "needs_triage": state in ("triage", "submitted"), "lead_department_id": lead,
            "resume_state": "assigned" if state == "info_requested" else None,
            "created_at": submitted - timedelta(days=rng.randint(0, 10)), "updated_at": submitted,
            "submitted_at": submitted,
            "decided_at": submitted + timedelta(days=rng.randint(20, 90)) if state in DECIDED else None,
        })
        extras.append((day, state, picked, wards, lead))

    built = Counter()
    for start in range(0, scale, CHUNK):
        ids = _insert(Proposal, proposals[start:start + CHUNK], returning=Proposal.id)
        themes_rows, ward_rows, assignments, waits, events = [], [], [], [], []
        for pid, row, (day, state, picked, wards, lead) in zip(ids, proposals[start:start + CHUNK],
                                                               extras[start:start + CHUNK], strict=True):
            themes_rows += [{"proposal_id": pid, "theme_id": t.id, "position": k} for k, t in enumerate(picked)]
            ward_rows += [{"proposal_id": pid, "ward_id": ward_ids[w]} for w in wards]
            events.append({"proposal_id": pid, "kind": "state_changed", "actor_kind": "system",
                           "actor_label": "bench", "to_state": state, "created_at": row["submitted_at"],
                           "public": True, "data": {}})
            if state in ("triage", "submitted"):
                waits.append({"proposal_id": pid, "kind": "triage", "department_id": None,
                              "started_at": row["submitted_at"]})
                continue
            departments = [lead]
            if rng.random() < 0.33:
                departments.append(rng.choice([d for d in department_ids.values() if d not in (lead, window_id)]))
            assigned_day = cal.add_business_days(day, rng.randint(0, 3))
            assigned_at = _moment(assigned_day, rng)
            for role, dept in zip(("lead", "co"), departments, strict=False):
                assignments.append(_assignment(rng, cal, pid, dept, role, state, assigned_day, assigned_at, today,
                                               row["decided_at"]))
            if state == "info_requested":
                waits.append({"proposal_id": pid, "kind": "applicant", "department_id": lead,
                              "started_at": assignments[-1]["paused_since"] or assigned_at})
        _insert(ProposalTheme, themes_rows)
        _insert(ProposalWard, ward_rows)
        _insert(Assignment, assignments)
        _insert(Wait, waits)
        _insert(Event, events)
        built["assignments"] += len(assignments)
        built["open_assignments"] += sum(1 for a in assignments if a["status"] == "active")
        built["waits"] += len(waits)
        db.session.commit()
    _insert(ReferenceCounter, [{"fiscal_year": fy, "last_value": n} for fy, n in counters.items()])
    _move_sequences()
    db.session.commit()
    return {**built, "proposals": scale, "organisations": organisations,
            "states": dict(Counter(p["state"] for p in proposals).most_common())}


class _MemoCalendar:
    """The business calendar, remembered per (day, count): a million proposals share a few thousand days."""

    def __init__(self, cal: BusinessCalendar):
        self.cal, self.memo = cal, {}

    def add_business_days(self, day: date, count: int) -> date:
        key = (day, count)
        if key not in self.memo:
            self.memo[key] = self.cal.add_business_days(day, count)
        return self.memo[key]


def _assignment(rng, cal, pid, dept, role, state, assigned_day, assigned_at, today, decided_at) -> dict:
    ack_due = cal.add_business_days(assigned_day, 5)
    answer_due = cal.add_business_days(assigned_day, 20)
    row = {"proposal_id": pid, "department_id": dept, "role": role, "status": "active", "assigned_at": assigned_at,
           "ack_due_on": ack_due, "answer_due_on": answer_due, "acknowledged_at": None, "answered_at": None,
           "paused_since": None, "closed_at": None}
    late = rng.random() < 0.25  # a quarter of departments run late
    ack_at = assigned_at + timedelta(days=rng.uniform(0.2, 12 if late else 6))
    answer_at = ack_at + timedelta(days=rng.uniform(3, 45 if late else 25))
    now = datetime.combine(today, time(9), tzinfo=TOKYO).astimezone(UTC)
    if state in OPEN_WITH_DEPARTMENTS:
        if ack_at < now and rng.random() < 0.7:
            row["acknowledged_at"] = ack_at
            if state == "in_consultation" and answer_at < now and rng.random() < 0.3:
                row["answered_at"] = answer_at
        if state == "info_requested":
            row["paused_since"] = min(now - timedelta(days=rng.uniform(1, 30)), max(ack_at, assigned_at))
        return row
    row.update(status="closed", closed_at=decided_at or assigned_at + timedelta(days=30))
    if state != "withdrawn" or rng.random() < 0.5:
        row["acknowledged_at"] = ack_at
        if state in DECIDED and (role == "lead" or rng.random() < 0.5):
            row["answered_at"] = answer_at
    return row
