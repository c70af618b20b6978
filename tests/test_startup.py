"""`flask` start-up stays fast (issue 16): creating the app imports no heavy
library that only some commands need (Alembic for `flask db`, the holiday and
phone-number tables for deadlines and forms, SudachiPy and scikit-learn for
reading and learning, redis until a connection or its error, the demo data and the year simulation for `flask
seed` and `flask deadlines simulate`), and hashes no password; the garbage collector, paused while the rooms are
imported, runs again. Run in a fresh interpreter: the test process has imported everything already."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAZY = ("alembic", "flask_migrate", "holidays", "phonenumbers", "redis", "sudachipy", "sklearn", "demo.seed",
        "demo.simulation")

SCRIPT = f"""
import gc
import sys
from window import create_app
app = create_app()
import core.auth
print(gc.isenabled(), gc.get_freeze_count() > 0)
print(" ".join(m for m in {LAZY!r} if m in sys.modules))
print(core.auth._dummy_hash.cache_info().currsize)
print(sorted(app.cli.commands).count("db"))
"""


@pytest.mark.parametrize("redis_url", [None, "redis://127.0.0.1:6379/15"])
def test_creating_the_app_loads_no_heavy_library_and_hashes_nothing(redis_url):
    """With Redis configured (REDIS_URL), the rate limiter's storage and Celery's broker need the redis
    client from the start, so only then may it load; nothing connects at creation either way."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True, timeout=120).stdout.splitlines()
    assert out[-4] == "True True"  # collecting again, with the imported modules frozen out of its walks
    loaded = set(out[-3].split())
    if redis_url:
        loaded.discard("redis")
    assert not loaded, f"imported at start-up: {sorted(loaded)}"
    assert out[-2] == "0"
    assert out[-1] == "1"  # `flask db` is listed all the same (loaded when it runs)
