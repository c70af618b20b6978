"""`flask deadlines sweep` (cron and the embedded default) and
`flask deadlines simulate` (a year of proposals in a scratch database)."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.group("deadlines")
    def deadlines_group():
        """Business-day deadlines, reminders and escalations."""

    @deadlines_group.command("sweep")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Sweep as if it were this day, 09:00 in Tokyo (testing).")
    def sweep_command(today):
        """Send every reminder and escalation that is due (safe to run twice)."""
        from core.extensions import db
        from responses.deadlines import sweep, tokyo_moment

        now = tokyo_moment(today.date()) if today else None
        result = sweep(now)
        db.session.commit()
        fired = ", ".join(f"{k}={v}" for k, v in result.fired.items())
        waits = ", ".join(f"{k}={v}" for k, v in result.waits.items())
        click.echo(f"swept {result.candidates} assignments: {fired}; waits: {waits}; emails queued={result.emails}")

    @deadlines_group.command("simulate")
    @click.option("--proposals", default=3000, show_default=True, help="Proposals over the year.")
    @click.option("--seed", default=1, show_default=True)
    @click.option("--start", default="2026-04-01", show_default=True, help="First day (a fiscal year).")
    @click.option("--days", default=365, show_default=True)
    @click.option("--database-url", default=None,
                  help="Scratch database (default: a new SQLite file in /tmp). Never the app's own database.")
    def simulate_command(proposals, seed, start, days, database_url):
        """A year of proposals with departments answering late at random."""
        from responses.simulation import run_simulation

        report = run_simulation(proposals=proposals, seed=seed, start=date.fromisoformat(start), days=days,
                                database_url=database_url, echo=click.echo)
        click.echo(report.render())
        if report.stuck or report.stuck_daily_max:
            click.echo("FAILED: some proposal sat in an open state with nobody told (see STUCK above)", err=True)
            raise SystemExit(1)
