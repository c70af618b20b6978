"""`flask deadlines sweep` (cron and the embedded default). `flask deadlines
simulate` builds a whole application, so window/cli.py adds it to this group."""

from __future__ import annotations

import click
from flask import Flask

from core.extensions import db
from responses.clock import tokyo_moment
from responses.sweep import Partition, sweep


def register(app: Flask) -> None:
    @app.cli.group("deadlines")
    def deadlines_group():
        """Business-day deadlines, reminders and escalations."""

    @deadlines_group.command("sweep")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Sweep as if it were this day, 09:00 in Tokyo (testing).")
    @click.option("--partition", default=None, metavar="I/N",
                  help="Take the I-th of N shares of the departments (0/4 … 3/4), one sweep per share (docs/scaling.md).")
    def sweep_command(today, partition):
        """Send every reminder and escalation that is due (safe to run twice)."""
        now = tokyo_moment(today.date()) if today else None
        try:
            share = Partition.parse(partition) if partition else None
        except ValueError:
            raise click.BadParameter("I/N with 0 <= I < N, e.g. 0/4", param_hint="--partition") from None
        result = sweep(now, commit_each_batch=True, partition=share)  # short transactions: cron may sweep a large backlog
        db.session.commit()
        fired = ", ".join(f"{k}={v}" for k, v in result.fired.items())
        waits = ", ".join(f"{k}={v}" for k, v in result.waits.items())
        click.echo(f"swept {result.candidates} assignments: {fired}; waits: {waits}; emails queued={result.emails}")
