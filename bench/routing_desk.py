"""The triage queue and the backtest at scale: N proposals (default 20,000)
in a scratch SQLite database (or BENCH_DATABASE_URL), then the time of the
queue page with each filter and of a backtest over the last 2,000.

    .venv/bin/python bench/routing_desk.py [N]
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(n: int = 20000) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from core.auth import hash_password
    from core.columns import utcnow
    from core.extensions import db
    from core.models import Department, Organisation, OrganisationKind, Role, Theme, User
    from proposals.models import Proposal, ProposalTheme, ProposalWard, State
    from routing.ruleset_operations import backtest
    from routing.seed import seed_routing
    from routing.store import get_version
    from window import create_app

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "routing_labelled.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    with app.app_context():
        upgrade()
        from core.seed import seed_reference

        seed_reference()
        seed_routing()
        db.session.add(User(email="bench-window@example.jp", role=Role.WINDOW, password_hash=hash_password("bench-pass"),
                            department=db.session.scalar(sa.select(Department).where(Department.code == "jichi"))))
        themes = {t.code: t.id for t in db.session.scalars(sa.select(Theme))}
        wards = {d.code: d.id for d in db.session.scalars(sa.select(Department))}
        org = Organisation(name="ベンチ団体", kind=OrganisationKind.NPO_CORP)
        db.session.add(org)
        db.session.flush()
        started = time.perf_counter()
        now = utcnow()
        states = [State.TRIAGE] * 3 + [State.ASSIGNED, State.IN_CONSULTATION, State.ADOPTED, State.NOT_ADOPTED]
        random.seed(1)
        for i in range(n):
            row = rows[i % len(rows)]
            proposal = Proposal(reference=f"KW-2026-{i + 1:06d}", fiscal_year=2026, state=random.choice(states),
                                title=row["title"], summary=row["summary"], issue=row["issue"],
                                activities=row["activities"], organisation_id=org.id, scope=row["area"]["scope"],
                                stage=row["stage"], submitted_at=now - timedelta(hours=i),
                                lead_department_id=wards.get(row["expected_lead"]), needs_triage=i % 5 == 0)
            proposal.theme_links = [ProposalTheme(theme_id=themes[c], position=k)
                                    for k, c in enumerate(row["themes"]) if c in themes]
            proposal.ward_links = [ProposalWard(ward_id=wards[c]) for c in row["area"]["wards"]]
            db.session.add(proposal)
            if i % 2000 == 1999:
                db.session.flush()
        db.session.commit()
        print(f"{n:,} proposals inserted in {time.perf_counter() - started:.1f} s")
        version = get_version("published")
        started = time.perf_counter()
        result = backtest(version, 2000)
        elapsed = time.perf_counter() - started
        print(f"backtest over the last 2,000: {elapsed:.2f} s ({2000 / elapsed:,.0f} proposals/s), "
              f"{len(result['changed'])} would change lead")
    client = app.test_client()
    client.post("/staff/login", data={"email": "bench-window@example.jp", "password": "bench-pass"})
    for query in ["", "?state=all", "?ward=ward-miyamae&state=all", "?theme=childcare&state=all", "?overdue=1",
                  "?needs_triage=1&sort=newest", "?kind=npo_corp&age=7&state=all", "?state=all&page=400"]:
        client.get("/triage/" + query)  # warm
        started = time.perf_counter()
        for _ in range(5):
            response = client.get("/triage/" + query)
            assert response.status_code == 200, response.status_code
        print(f"GET /triage/{query or ''}: {(time.perf_counter() - started) / 5 * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
