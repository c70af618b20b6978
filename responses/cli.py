"""`flask deadlines sweep` (cron and the embedded default). `flask deadlines
simulate` builds a whole application, so window/cli.py adds it to this group."""

from __future__ import annotations

import click
from flask import Flask

from core.extensions import db
from responses.deadlines import sweep, tokyo_moment


def register(app: Flask) -> None:
    @app.cli.group("deadlines")
    def deadlines_group():
        """Business-day deadlines, reminders and escalations."""

    @deadlines_group.command("sweep")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Sweep as if it were this day, 09:00 in Tokyo (testing).")
    def sweep_command(today):
        """Send every reminder and escalation that is due (safe to run twice)."""
        now = tokyo_moment(today.date()) if today else None
        result = sweep(now, commit_each_batch=True)  # short transactions: cron may sweep a large backlog
        db.session.commit()
        fired = ", ".join(f"{k}={v}" for k, v in result.fired.items())
        waits = ", ".join(f"{k}={v}" for k, v in result.waits.items())
        click.echo(f"swept {result.candidates} assignments: {fired}; waits: {waits}; emails queued={result.emails}")
