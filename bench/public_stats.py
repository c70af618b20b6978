"""Timings of the public statistics and catalogue at scale.

    .venv/bin/python bench/public_stats.py                      # SQLite in a temp dir, 100,000 proposals
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_public .venv/bin/python bench/public_stats.py
    BENCH_PROPOSALS=20000 .venv/bin/python bench/public_stats.py

Builds the real schema with the migrations, loads N submitted proposals
(themes, wards, organisations, one or two assignments each with
acknowledgement and answer times) in bulk, then prints how long each query
and each page takes. Every figure is computed by the database (GROUP BY and
window functions); nothing loops over proposals in Python.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

N = int(os.environ.get("BENCH_PROPOSALS") or 100_000)
CHUNK = 5_000


def _url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        engine_url = sa.engine.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
        admin = sa.create_engine(engine_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{engine_url.database}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{engine_url.database}"'))
        admin.dispose()
        return engine_url.render_as_string(hide_password=False)
    return f"sqlite:///{tempfile.mkdtemp(prefix='bench-public-')}/bench.sqlite3"


def timed(label: str, fn, repeat: int = 3):
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:48s} {best * 1000:9.1f} ms")
    return result


def load(n: int) -> None:
    from core.extensions import db
    from core.models import Department, DepartmentKind, Organisation, OrganisationKind, Theme
    from proposals.models import Assignment, Proposal, ProposalTheme, ProposalWard

    rng = random.Random(7)
    wards = db.session.scalars(sa.select(Department.id).where(Department.kind == DepartmentKind.WARD)).all()
    departments = db.session.scalars(sa.select(Department.id)).all()
    themes = db.session.scalars(sa.select(Theme.id)).all()
    kinds = list(OrganisationKind)
    db.session.execute(sa.insert(Organisation), [
        {"name": f"団体{i}", "kind": kinds[i % len(kinds)], "city": "川崎市"} for i in range(2_000)
    ])
    org_ids = db.session.scalars(sa.select(Organisation.id)).all()
    states = ["triage", "assigned", "in_consultation", "adopted", "not_adopted", "in_progress", "completed",
              "evaluated", "withdrawn"]
    start_day = datetime(2015, 4, 1, tzinfo=UTC)
    next_id = (db.session.scalar(sa.select(sa.func.max(Proposal.id))) or 0) + 1
    for offset in range(0, n, CHUNK):
        proposals, theme_links, ward_links, assignments = [], [], [], []
        for i in range(offset, min(n, offset + CHUNK)):
            pid = next_id + i
            submitted = start_day + timedelta(minutes=i * 55)
            fy = submitted.year if submitted.month >= 4 else submitted.year - 1
            state = rng.choice(states)
            proposals.append({
                "id": pid, "reference": f"BN-{fy}-{i:07d}", "fiscal_year": fy, "state": state,
                "organisation_id": rng.choice(org_ids), "title": f"ベンチマーク提案 {i} の見守り活動",
                "summary": "地域の高齢者を見守る活動です。", "submitted_at": submitted,
                "consent_publish": True, "publication_approved": rng.random() < 0.5,
                "partners_wanted": ["company"] if rng.random() < 0.3 else [],
                "decided_at": submitted + timedelta(days=30) if state not in ("triage", "assigned") else None,
                "created_at": submitted, "updated_at": submitted,
            })
            for position, theme_id in enumerate(rng.sample(themes, rng.randint(1, 3))):
                theme_links.append({"proposal_id": pid, "theme_id": theme_id, "position": position})
            for ward_id in rng.sample(wards, rng.choice([0, 1, 1, 1, 2])):
                ward_links.append({"proposal_id": pid, "ward_id": ward_id})
            for role, dept in zip(["lead", "co"], rng.sample(departments, rng.choice([1, 1, 2])), strict=False):
                assigned = submitted + timedelta(days=rng.uniform(0.5, 4))
                ack = assigned + timedelta(days=rng.uniform(0.1, 8))
                answered = ack + timedelta(days=rng.uniform(2, 40)) if rng.random() < 0.8 else None
                assignments.append({
                    "proposal_id": pid, "department_id": dept, "role": role, "status": "closed",
                    "assigned_at": assigned, "acknowledged_at": ack, "answered_at": answered,
                    "ack_due_on": (assigned + timedelta(days=7)).date(),
                    "answer_due_on": (assigned + timedelta(days=28)).date(),
                })
        db.session.execute(sa.insert(Proposal), proposals)
        db.session.execute(sa.insert(ProposalTheme), theme_links)
        db.session.execute(sa.insert(ProposalWard), ward_links)
        db.session.execute(sa.insert(Assignment), assignments)
        db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text(f"SELECT setval('proposals_id_seq', {next_id + n})"))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def fetch(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    response.close()


def main() -> None:
    from flask_migrate import upgrade

    from core.extensions import db
    from core.seed import seed_reference
    from public import queries
    from window import create_app

    url = _url()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
                      "TESTING": True, "RATELIMIT_ENABLED": False, "OUTBOX_DISPATCH": "manual"})
    with app.app_context():
        dialect = db.engine.dialect.name
        upgrade()
        seed_reference()
        db.session.commit()
        start = time.perf_counter()
        load(N)
        print(f"== public statistics on {dialect}, {N:,} proposals (loaded in {time.perf_counter() - start:.1f} s)")
        total = db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("assignments")))
        print(f"   {total:,} assignments")
        timed("totals()", queries.totals)
        timed("by_fiscal_year()", queries.by_fiscal_year)
        timed("by_ward()", queries.by_ward)
        timed("by_theme()", queries.by_theme)
        timed("by_organisation_kind()", queries.by_organisation_kind)
        rows = timed("by_department() (median, p90, on time)", queries.by_department)
        timed("by_department(fy=2020)", lambda: queries.by_department(2020))
        timed("by_ward(fy=2020)", lambda: queries.by_ward(2020))
        filters = queries.CatalogueFilters(q="見守り", ward="ward-asao", fy=2020)
        timed("catalogue page (search + ward + year)", lambda: queries.catalogue_page(filters))
        timed("catalogue page (no filter)", lambda: queries.catalogue_page(queries.CatalogueFilters()))
        client = app.test_client()
        timed("GET /stats (whole page)", lambda: fetch(client, "/stats"), repeat=2)
        timed("GET /stats/departments.csv", lambda: fetch(client, "/stats/departments.csv"), repeat=2)
        timed("GET /catalogue?ward=ward-asao&q=見守り", lambda: fetch(client, "/catalogue?ward=ward-asao&q=見守り"),
              repeat=2)
        timed("GET /open-data/proposals.csv (~half published)", lambda: fetch(client, "/open-data/proposals.csv"),
              repeat=1)
        app.config["PUBLIC_STATS_CACHE_SECONDS"] = 300  # as in production: later requests are served from the cache
        fetch(client, "/stats")
        fetch(client, "/open-data/proposals.csv")
        timed("GET /stats (cached, within 5 minutes)", lambda: fetch(client, "/stats"), repeat=3)
        timed("GET /open-data/proposals.csv (cached)", lambda: fetch(client, "/open-data/proposals.csv"), repeat=3)
        print(f"   e.g. {rows[0]['code']}: ack median {rows[0]['ack_median']} d, p90 {rows[0]['ack_p90']} d, "
              f"on time {rows[0]['on_time_rate']} %")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
