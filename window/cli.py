"""Commands that know every room: `flask seed`, `flask demo-accounts` and
`flask deadlines simulate` (a year of proposals in a scratch database).

The demo data and the simulation are imported when `flask seed` or `flask deadlines simulate`
runs, not by every `flask` command and web worker (start-up, issue 16; tests/test_startup.py)."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask

from demo.accounts import DEMO_APPLICANT, DEMO_PASSWORD, DEMO_STAFF
from demo.simulation_patches import BREAKAGES


def register(app: Flask, app_factory) -> None:
    """`app_factory` is create_app: the simulation builds its own application."""
    @app.cli.command("seed")
    @click.option("--no-demo", is_flag=True, help="Reference data only (departments, themes).")
    def seed_command(no_demo: bool):
        """Load departments, themes and demo data (safe to run twice)."""
        from window.seed import seed_all

        result = seed_all(with_demo=not no_demo)
        click.echo("seeded: " + ", ".join(f"{k}={v}" for k, v in result.items()))

    @app.cli.command("demo-accounts")
    def demo_accounts():
        """Print the demo sign-ins."""
        base = app.config["BASE_URL"]
        click.echo(f"\n  協働・連携の窓口: {base}/")
        click.echo(f"  Staff sign-in: {base}/staff/login   password for every demo staff account: {DEMO_PASSWORD}")
        for email, _name, role, department in DEMO_STAFF:
            click.echo(f"    {email:34s} {role.value:20s} {department}")
        click.echo(f"  Applicant: {DEMO_APPLICANT} signs in by emailed link at {base}/signin")
        click.echo(f"  Emails are kept in the outbox: {base}/admin/outbox (sign in as admin)\n")

    # The simulation builds a whole application, so it lives here, in the
    # `deadlines` group that responses/cli.py registers (rooms first).
    simulate_command = _simulate_command(app_factory)
    app.cli.commands["deadlines"].add_command(simulate_command, "simulate")


def _simulate_command(app_factory) -> click.Command:
    @click.command()
    @click.option("--proposals", default=3000, show_default=True, help="Proposals over the year.")
    @click.option("--seed", default=1, show_default=True)
    @click.option("--start", default="2026-04-01", show_default=True, help="First day (a fiscal year).")
    @click.option("--days", default=365, show_default=True)
    @click.option("--database-url", default=None,
                  help="Scratch database (default: a new SQLite file in /tmp). Never the app's own database.")
    @click.option("--tail-days", default=120, show_default=True,
                  help="Days the clock keeps running after the last arrival.")
    @click.option("--break", "breakage", default=None, type=click.Choice(sorted(BREAKAGES)),
                  help="Break the deadline code on purpose (the run must then fail).")
    def simulate_command(proposals, seed, start, days, database_url, tail_days, breakage):
        """A year of proposals with departments answering late at random; the
        verdict comes from an oracle independent of the deadline code. Exits 1
        when anything was dropped, told twice or told on the wrong day."""
        from demo.simulation import run_simulation

        report = run_simulation(app_factory=app_factory, proposals=proposals, seed=seed,
                                start=date.fromisoformat(start), days=days, database_url=database_url,
                                echo=click.echo, tail_days=tail_days, breakage=breakage)
        click.echo(report.render())
        if report.failed:
            click.echo("FAILED: the oracle or the stuck check found a dropped ball (see ORACLE / STUCK above)",
                       err=True)
            raise SystemExit(1)

    return simulate_command
