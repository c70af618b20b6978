"""What a simulated year reports (`flask deadlines simulate`): the counts, the response times and
the independent oracle's verdict. The run fails when the oracle or the stuck check finds anything."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from core.extensions import db
from demo.simulation_patches import BREAKAGES
from proposals import metrics
from proposals.models import Assignment
from responses import simulation_oracle
from responses.deadlines import calendar


@dataclass
class Report:
    proposals: int = 0
    days: int = 0
    seconds: float = 0.0
    final_states: Counter = field(default_factory=Counter)
    classification: Counter = field(default_factory=Counter)
    escalations: Counter = field(default_factory=Counter)
    assignments: Counter = field(default_factory=Counter)
    emails: int = 0
    events: int = 0
    stuck: int = 0
    stuck_daily_max: int = 0
    waits: Counter = field(default_factory=Counter)
    late_answers: int = 0
    decisions: int = 0
    ack_median: float | None = None
    ack_p90: float | None = None
    answer_median: float | None = None
    answer_p90: float | None = None
    behaviour: Counter = field(default_factory=Counter)
    stuck_examples: list[str] = field(default_factory=list)
    database_url: str = ""
    breakage: str | None = None
    oracle: object | None = None  # simulation_oracle.Verdict: the independent verdict

    @property
    def failed(self) -> bool:
        """The run fails when the oracle finds anything, or the stuck check does."""
        return bool(self.stuck or self.stuck_daily_max or self.oracle is None or self.oracle.failed)

    def render(self) -> str:
        def block(title, counter):
            width = max([32, *(len(k) for k in counter)])
            return f"{title}:\n" + "\n".join(f"  {k:{width}s} {v:7d}" for k, v in sorted(counter.items()))

        lines = [
            f"simulated {self.proposals} proposals over {self.days} days in {self.seconds:.1f} s ({self.database_url})",
            block("final states", self.final_states),
            block("how each proposal ended", self.classification),
            block("assignments", self.assignments),
            block("escalations fired (each once)", self.escalations),
            block("waits: rungs fired (each once)", self.waits),
            block("department behaviour drawn", self.behaviour),
            f"decisions sent: {self.decisions}, of which after the answer deadline: {self.late_answers}",
            f"business days to acknowledge (all departments): median {self.ack_median}, 90th percentile {self.ack_p90}",
            f"business days to the lead's answer: median {self.answer_median}, 90th percentile {self.answer_p90}",
            f"emails queued in the outbox: {self.emails}",
            f"events written: {self.events}",
            f"open proposals past a deadline without its escalation, or held by nobody (checked after every "
            f"sweep): max {self.stuck_daily_max} on any day",
            f"STUCK (open, past due, nobody told): {self.stuck}",
        ]
        lines += [f"  {example}" for example in self.stuck_examples[:10]]
        if self.breakage:
            lines.insert(0, f"BROKEN ON PURPOSE: {self.breakage} ({BREAKAGES[self.breakage][0]})")
        lines.append(self.oracle.render() if self.oracle is not None else "oracle: not run")
        return "\n".join(lines)


def oracle_verdict(app, first_day: date, last_day: date, sweep_hour: int):
    """The verdict from the independent oracle (it reads the raw rows only)."""
    settings = {name: int(app.config[name]) for name in simulation_oracle.DEFAULT_SETTINGS if name in app.config}
    db.session.commit()
    return simulation_oracle.check(db.session.connection(), first_sweep=first_day, last_sweep=last_day,
                                   sweep_hour=sweep_hour, settings=settings)


def record_response_times(report: Report) -> None:
    """The city's response times over every department (the dashboard gives them per department)."""
    cal = calendar()
    done = db.session.execute(sa.select(
        Assignment.assigned_at, Assignment.acknowledged_at, Assignment.ack_paused_seconds, Assignment.answered_at,
        Assignment.answer_paused_seconds, Assignment.role).where(Assignment.acknowledged_at.is_not(None))).all()
    ack = metrics.Summary.of([metrics.business_days_taken(cal, row.assigned_at, row.acknowledged_at,
                                                          row.ack_paused_seconds) for row in done])
    answer = metrics.Summary.of([
        metrics.business_days_taken(cal, row.assigned_at, row.answered_at, row.answer_paused_seconds)
        for row in done if row.answered_at is not None and row.role in metrics.ANSWER_ROLES])
    report.ack_median, report.ack_p90 = ack.median, ack.p90
    report.answer_median, report.answer_p90 = answer.median, answer.p90
