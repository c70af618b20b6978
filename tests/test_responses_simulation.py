"""A small run of the year simulation (the full one is
`flask deadlines simulate --proposals 3000`): nothing is ever stuck."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import IS_POSTGRES

from demo.simulation import run_simulation
from window import create_app


@pytest.mark.skipif(IS_POSTGRES, reason="the simulation uses its own scratch SQLite file")
def test_a_short_simulation_leaves_nothing_stuck():
    report = run_simulation(app_factory=create_app, proposals=60, seed=7, start=date(2026, 12, 1), days=45, tail_days=60,
                            echo=lambda *_: None)
    assert report.stuck == 0 and report.stuck_daily_max == 0
    # The independent oracle agrees, over the year-end closing (12/29–1/3) too.
    assert not report.oracle.failed, report.oracle.render()
    assert not report.failed
    assert sum(report.classification.values()) == 60
    # Waiting for the applicant is not a good end by itself: only chased (or still within the reply time).
    assert set(report.classification) <= {"answered (decision sent)", "open, escalated",
                                          "open, within its deadline",
                                          "waiting for the applicant, chased",
                                          "waiting for the applicant, chased; department and window told",
                                          "waiting for the applicant, within the reply time",
                                          "in triage, escalated to the window", "in triage, within the allowance"}
    assert report.escalations["overdue"] > 0 and report.escalations["second"] > 0
    assert report.waits["applicant/reminder"] > 0 and report.waits["applicant/overdue"] > 0
    assert "STUCK (open, past due, nobody told): 0" in report.render()


@pytest.mark.skipif(IS_POSTGRES, reason="the simulation uses its own scratch SQLite file")
def test_the_simulation_fails_loudly_when_waits_are_not_chased(monkeypatch):
    """With the sweep no longer chasing waits, proposals waiting for the applicant (or in triage) past
    their deadline are reported stuck, whatever their open state."""
    from responses import sweep

    monkeypatch.setattr(sweep, "_sweep_waits", lambda *args, **kwargs: None)
    report = run_simulation(app_factory=create_app, proposals=60, seed=7, start=date(2026, 12, 1), days=45, tail_days=60,
                            echo=lambda *_: None)
    assert report.stuck > 0 and report.stuck_daily_max > 0
    assert any(ending.startswith("STUCK in info_requested") for ending in report.classification)
    assert sum(report.classification.values()) == 60
    text = report.render()
    assert f"STUCK (open, past due, nobody told): {report.stuck}" in text
    assert "waiting (applicant) past" in text
