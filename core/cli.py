"""Command-line: `flask seed`, `flask outbox deliver`, `flask departments …`."""

from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("seed")
    @click.option("--no-demo", is_flag=True, help="Reference data only (departments, themes).")
    def seed_command(no_demo: bool):
        """Load departments, themes and demo data (safe to run twice)."""
        from core.seed import seed_all

        result = seed_all(with_demo=not no_demo)
        click.echo("seeded: " + ", ".join(f"{k}={v}" for k, v in result.items()))

    @app.cli.command("demo-accounts")
    def demo_accounts():
        """Print the demo sign-ins."""
        from core.seed import DEMO_APPLICANT, DEMO_PASSWORD, DEMO_STAFF

        base = app.config["BASE_URL"]
        click.echo(f"\n  協働・連携の窓口: {base}/")
        click.echo(f"  Staff sign-in: {base}/staff/login   password for every demo staff account: {DEMO_PASSWORD}")
        for email, _name, role, department in DEMO_STAFF:
            click.echo(f"    {email:34s} {role.value:20s} {department}")
        click.echo(f"  Applicant: {DEMO_APPLICANT} signs in by emailed link at {base}/signin")
        click.echo(f"  Emails are kept in the outbox: {base}/admin/outbox (sign in as admin)\n")

    @app.cli.group("outbox")
    def outbox_group():
        """The notification outbox."""

    @outbox_group.command("deliver")
    def outbox_deliver():
        """Deliver pending emails now (the worker does this every minute)."""
        from core.outbox import deliver_pending

        click.echo(f"delivered {deliver_pending()}")
