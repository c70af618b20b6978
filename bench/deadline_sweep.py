"""How long the deadline sweep takes with many open assignments.

    .venv/bin/python bench/deadline_sweep.py [open assignments, default 5000] [database url]

Builds a scratch database (SQLite file unless a URL is given) with that many
open, running assignments spread over a year of due dates, then times:
the first sweep on a day when a quarter of them are past due (fires and
queues emails), the same sweep again (nothing to do: the unique key and the
finished-ladder filter), and a sweep a week later.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402


def main(count: int, url: str | None) -> None:
    from flask_migrate import upgrade

    from core.extensions import db
    from core.models import Department, DepartmentKind, Organisation, OrganisationKind, Role, User
    from core.seed import seed_reference
    from proposals.models import Assignment, Proposal
    from responses.deadlines import calendar, sweep, tokyo_moment
    from window import create_app

    url = url or f"sqlite:///{tempfile.mkdtemp(prefix='sweep-bench-')}/bench.sqlite3"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "OUTBOX_DISPATCH": "manual", "BASE_URL": "http://bench.invalid"})
    rng = random.Random(1)
    with app.app_context():
        upgrade()
        seed_reference()
        departments = db.session.scalars(sa.select(Department).where(Department.kind != DepartmentKind.TRIAGE)).all()
        for dept in departments:
            db.session.add_all([
                User(email=f"staff-{dept.code}@bench.invalid", role=Role.DEPARTMENT_STAFF, department=dept,
                     password_hash="!"),
                User(email=f"manager-{dept.code}@bench.invalid", role=Role.DEPARTMENT_MANAGER, department=dept,
                     password_hash="!"),
            ])
        db.session.add(User(email="window@bench.invalid", role=Role.WINDOW,
                            department_id=db.session.scalar(sa.select(Department.id).where(
                                Department.kind == DepartmentKind.TRIAGE)), password_hash="!"))
        organisation = Organisation(name="bench", kind=OrganisationKind.OTHER)
        db.session.add(organisation)
        db.session.commit()
        start = date(2026, 4, 1)
        cal = calendar()
        began = time.perf_counter()
        proposals, assignments = [], []
        for i in range(count):
            assigned_on = start + timedelta(days=rng.randrange(365))
            proposals.append({"id": i + 1, "reference": f"KW-2026-{i + 1:06d}", "fiscal_year": 2026,
                              "state": "assigned", "organisation_id": organisation.id, "title": f"bench {i}",
                              "submitted_at": tokyo_moment(assigned_on)})
            assignments.append({"proposal_id": i + 1, "department_id": rng.choice(departments).id, "role": "lead",
                                "status": "active", "assigned_at": tokyo_moment(assigned_on),
                                "ack_due_on": cal.add_business_days(assigned_on, 5),
                                "answer_due_on": cal.add_business_days(assigned_on, 20)})
        for chunk in range(0, count, 5000):
            db.session.execute(sa.insert(Proposal), proposals[chunk:chunk + 5000])
            db.session.execute(sa.insert(Assignment), assignments[chunk:chunk + 5000])
        db.session.commit()
        print(f"{count} open assignments built in {time.perf_counter() - began:.1f} s ({url.split(':')[0]})")

        for label, day in (("first sweep, 2026-07-01", date(2026, 7, 1)),
                           ("same day again", date(2026, 7, 1)),
                           ("a week later", date(2026, 7, 8))):
            began = time.perf_counter()
            result = sweep(tokyo_moment(day))
            db.session.commit()
            elapsed = time.perf_counter() - began
            print(f"{label:26s} {elapsed:7.2f} s  candidates={result.candidates:6d} fired={result.fired} "
                  f"emails={result.emails}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000, sys.argv[2] if len(sys.argv) > 2 else None)
