"""`flask` start-up stays fast (issue 16): creating the app imports no heavy
library that only some commands need (Alembic for `flask db`, the holiday and
phone-number tables for deadlines and forms, SudachiPy and scikit-learn for
reading and learning, redis until a connection or its error), and hashes no password. Run in a fresh interpreter:
the test process has imported everything already."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAZY = ("alembic", "flask_migrate", "holidays", "phonenumbers", "redis", "sudachipy", "sklearn")

SCRIPT = f"""
import sys
from window import create_app
app = create_app()
import core.auth
print(" ".join(m for m in {LAZY!r} if m in sys.modules))
print(core.auth._dummy_hash.cache_info().currsize)
print(sorted(app.cli.commands).count("db"))
"""


def test_creating_the_app_loads_no_heavy_library_and_hashes_nothing():
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=120).stdout.splitlines()
    assert out[-3] == "", f"imported at start-up: {out[-3]}"
    assert out[-2] == "0"
    assert out[-1] == "1"  # `flask db` is listed all the same (loaded when it runs)
