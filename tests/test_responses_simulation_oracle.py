"""The simulation's verdict comes from an oracle that shares no code with the
deadline logic (responses/simulation_oracle.py), and each deliberate breakage
of the deadline code makes the run fail. Small runs (a few dozen proposals
over April–June 2026, Golden Week included, so that the holidays matter)."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from conftest import IS_POSTGRES

pytestmark = pytest.mark.skipif(IS_POSTGRES, reason="the simulation uses its own scratch SQLite file")

SMALL = dict(proposals=50, seed=3, start=date(2026, 4, 1), days=40, tail_days=45)

# Which finding each breakage must produce (besides failing the run).
EXPECTED_FINDING = {
    "no-due-dates": "DROPPED BALL: past due, nobody told",
    "clock-never-resumes": "DROPPED BALL: past due, nobody told",
    "ladder-skips-overdue": "DROPPED BALL: past due, nobody told",
    "wait-ladder-skips-first": "DROPPED BALL: past due, nobody told",
    "escalations-twice": "rung told more than once",
    "holidays-ignored": "rung fired that nobody owed (too early, or for a wrong due date)",
}


def test_the_oracle_imports_nothing_of_the_deadline_code():
    source = Path(__file__).resolve().parent.parent / "responses" / "simulation_oracle.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported <= {"__future__", "json", "collections", "dataclasses", "datetime", "functools", "zoneinfo",
                        "holidays", "sqlalchemy"}, imported


def test_the_oracles_calendar_knows_the_holidays_and_the_year_end():
    from responses.simulation_oracle import OracleCalendar

    cal = OracleCalendar({date(2026, 6, 1)})
    # Assigned on Tue 2026-04-28: Showa Day (4/29) and Golden Week (5/3–5/6) do not count.
    assert cal.after(date(2026, 4, 28), 5) == date(2026, 5, 11)
    assert not cal.is_open(date(2026, 12, 29)) and not cal.is_open(date(2027, 1, 3))
    assert cal.is_open(date(2027, 1, 4))
    assert not cal.is_open(date(2026, 6, 1))  # the administrator's closed day
    assert cal.open_days_in(date(2026, 4, 28), date(2026, 5, 11)) == 5
    assert cal.reminder_from(date(2026, 5, 11), 2) == date(2026, 5, 7)


def test_a_clean_run_passes_the_oracle_and_the_command_exits_0(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["deadlines", "simulate", "--proposals", str(SMALL["proposals"]),
                                 "--seed", str(SMALL["seed"]), "--start", SMALL["start"].isoformat(),
                                 "--days", str(SMALL["days"]), "--tail-days", str(SMALL["tail_days"])])
    assert result.exit_code == 0, result.output
    assert "nothing dropped" in result.output
    assert "rungs owed 0" not in result.output  # the run owed rungs: the check had something to check


@pytest.mark.parametrize("breakage", sorted(EXPECTED_FINDING))
def test_each_breakage_makes_the_run_fail(breakage):
    from demo.simulation import run_simulation
    from demo.simulation_patches import BREAKAGES
    from window import create_app

    assert set(EXPECTED_FINDING) == set(BREAKAGES)
    report = run_simulation(app_factory=create_app, **SMALL, echo=lambda *_: None, breakage=breakage)
    assert report.failed
    assert report.oracle.failed, report.render()  # the oracle alone catches it
    assert report.oracle.findings[EXPECTED_FINDING[breakage]], report.render()


def test_the_command_exits_1_when_the_code_is_broken(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["deadlines", "simulate", "--proposals", "30", "--seed", "3",
                                 "--start", "2026-04-01", "--days", "30", "--tail-days", "40",
                                 "--break", "clock-never-resumes"])
    assert result.exit_code == 1
    assert "BROKEN ON PURPOSE: clock-never-resumes" in result.output
    assert "DROPPED BALL" in result.output
