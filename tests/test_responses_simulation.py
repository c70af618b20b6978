"""A small run of the year simulation (the full one is
`flask deadlines simulate --proposals 3000`): nothing is ever stuck."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import IS_POSTGRES


@pytest.mark.skipif(IS_POSTGRES, reason="the simulation uses its own scratch SQLite file")
def test_a_short_simulation_leaves_nothing_stuck():
    from responses.simulation import run_simulation

    report = run_simulation(proposals=60, seed=7, start=date(2026, 12, 1), days=45, tail_days=60,
                            echo=lambda *_: None)
    assert report.stuck == 0 and report.stuck_daily_max == 0
    assert sum(report.classification.values()) == 60
    assert set(report.classification) <= {"answered (decision sent)", "open, escalated",
                                          "waiting for the applicant", "open, within its deadline"}
    assert report.escalations["overdue"] > 0 and report.escalations["second"] > 0
    assert "STUCK (open, past due, nobody told): 0" in report.render()
