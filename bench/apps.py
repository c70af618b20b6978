"""What gunicorn serves during the bench (`bench.apps:product()` and
`bench.apps:bare()`), both on the bench's database (DATABASE_URL).

- product(): the real application, with three bench-only settings: no
  rate limits and no CSRF (the load client posts forms without reading them
  first; both apply equally to every figure), emails left in the outbox;
  plus `/_bench/signin/<user id>` so the load client needs no password
  round trip (hashing would dominate the figures). With BENCH_STATS_COLD=1
  every request starts without the process's copy of the statistics (as a
  worker whose copy has expired: it reads the summary table), for the cold
  /stats figure.
- bare(): the baseline: a Flask app with the same database and pool that
  answers `/hello` and inserts one row per `POST /insert`, the least a
  request that writes can do.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask


def _create_app():
    try:  # the factory moved into the window/ package
        from window import create_app
    except ImportError:
        from core import create_app
    return create_app


def product() -> Flask:
    overrides = {"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False, "OUTBOX_DISPATCH": "manual"}
    app = _create_app()(overrides)
    if os.environ.get("BENCH_STATS_COLD") == "1":
        @app.before_request
        def forget_the_statistics_copy():
            app.extensions.pop("public_stats_cache", None)

    from flask_login import login_user

    from core.extensions import db
    from core.models import User

    @app.route("/_bench/signin/<int:user_id>")
    def bench_signin(user_id: int):
        login_user(db.session.get(User, user_id))
        return "ok"

    return app


BARE_TABLE = "bench_bare_rows"


def bare() -> Flask:
    url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(url, pool_pre_ping=True)
    rows = sa.table(BARE_TABLE, sa.column("note"))
    app = Flask(__name__)

    @app.route("/hello")
    def hello():
        return "hello"

    @app.route("/insert", methods=["POST"])
    def insert():
        with engine.begin() as conn:
            conn.execute(sa.insert(rows).values(note="bench"))
        return "", 204

    return app
