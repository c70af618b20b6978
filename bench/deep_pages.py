"""Deep pages in-process (issue 16, docs/scaling.md "Deep pages"): the first page, page N by
?page= (OFFSET) and, with `after`, the same depth by cursor, of /catalogue and /triage/ in each
sort, on an existing bench database in READ-ONLY transactions (it writes nothing).

    .venv/bin/python bench/deep_pages.py [code root, default this tree] [before|after, default after]

`before` times what a tree without keyset pagination can (give it main's root). Each figure is the
median of 15 requests after 3 warm-ups: the whole request, its SQL, its slowest statement."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parent.parent)
MODE = sys.argv[2] if len(sys.argv) > 2 else "after"
URL = (os.environ.get("BENCH_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/window_bench").replace(
    "postgresql://", "postgresql+psycopg://", 1) + "?options=-c%20default_transaction_read_only%3Don"
SORTS = ("oldest", "newest", "reference", "lead")


def main() -> None:
    sys.path.insert(0, ROOT)
    os.chdir(ROOT)
    import sqlalchemy as sa
    from flask_login import login_user
    from sqlalchemy import event

    from bench.apps import _create_app
    from core.extensions import db
    from core.models import Role, User

    app = _create_app()({"SQLALCHEMY_DATABASE_URI": URL, "OUTBOX_DISPATCH": "manual", "RATELIMIT_ENABLED": False,
                         "BASE_URL": "http://bench.invalid"})

    @app.route("/_bench/signin/<int:user_id>")
    def bench_signin(user_id: int):
        login_user(db.session.get(User, user_id))
        return "ok"

    timings: list[float] = []
    with app.app_context():
        @event.listens_for(db.engine, "before_cursor_execute")
        def started(conn, *_cursor_statement_parameters_context_many):
            conn.info["t0"] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def ended(conn, *_cursor_statement_parameters_context_many):
            timings.append((time.perf_counter() - conn.info["t0"]) * 1000)

        window = db.session.scalar(sa.select(User.id).where(User.role == Role.WINDOW).limit(1))
    client = app.test_client()
    assert client.get(f"/_bench/signin/{window}").data == b"ok"

    def timed(url: str, n: int = 15):
        for _ in range(3):
            assert client.get(url).status_code == 200, url
        totals, sqls, worst = [], [], []
        for _ in range(n):
            timings.clear()
            began = time.perf_counter()
            client.get(url)
            totals.append((time.perf_counter() - began) * 1000)
            sqls.append(sum(timings))
            worst.append(max(timings))
        return statistics.median(totals), statistics.median(sqls), statistics.median(worst)

    cases = [("catalogue p1", "/catalogue"), ("catalogue ?page=1500", "/catalogue?page=1500")]
    for sort in SORTS:
        cases += [(f"triage all {sort} p1", f"/triage/?state=all&sort={sort}"),
                  (f"triage all {sort} ?page=3000", f"/triage/?state=all&sort={sort}&page=3000")]
    if MODE == "after":
        cases += _cursor_cases(app, db)
    for name, url in cases:
        total, sql, worst = timed(url)
        print(f"{MODE:6} {name:34} {total:7.1f} ms   SQL {sql:6.1f} ms   slowest statement {worst:6.1f} ms",
              flush=True)


def _cursor_cases(app, db) -> list[tuple[str, str]]:
    """The cursor of the last row before page 1,500 (catalogue) and 3,000 (triage, all states), built
    directly from that row rather than by following 「次へ」 1,500 times."""
    import sqlalchemy as sa

    from proposals.models import Proposal, State
    from public.queries import CATALOGUE_ORDER, CatalogueFilters, catalogue_query
    from routing.views_triage import SORTS as ORDERS

    def cursor_at(order, query, offset: int, page: int) -> str:
        row = db.session.scalars(query.order_by(*order.order_by()).offset(offset).limit(1)).one()
        return order.encode(row, "after", page)

    with app.test_request_context():
        cases = [("catalogue cursor@1500",
                  f"/catalogue?cursor={cursor_at(CATALOGUE_ORDER, catalogue_query(CatalogueFilters()), 29979, 1500)}")]
        submitted = sa.select(Proposal).where(Proposal.state != State.DRAFT)
        for sort in SORTS:
            cursor = cursor_at(ORDERS[sort], submitted, 2999 * 25 - 1, 3000)
            cases.append((f"triage all {sort} cursor@3000", f"/triage/?state=all&sort={sort}&cursor={cursor}"))
    return cases


if __name__ == "__main__":
    main()
