"""`flask privacy purge [--dry-run]`: anonymise the personal data of proposals
closed longer than PRIVACY_RETENTION_DAYS (proposals.privacy), and the daily
Celery task that does the same."""

from __future__ import annotations

import click
from celery import shared_task
from flask import Flask

from core.audit import Actor
from core.extensions import db
from proposals.privacy import PERSONAL_COLUMNS, purge, purge_plan, retention_days


@shared_task(name="privacy.purge", ignore_result=True)
def purge_task() -> int:
    plan = purge(Actor.scheduler("privacy purge"))
    db.session.commit()
    return len(plan.proposals)


def register(app: Flask) -> None:
    @app.cli.group("privacy")
    def privacy_group():
        """Personal data: retention and anonymisation."""

    @privacy_group.command("purge")
    @click.option("--dry-run", is_flag=True, help="Show what would be anonymised, change nothing.")
    def purge_command(dry_run: bool):
        """Anonymise contact details of proposals closed longer than the retention period."""
        plan = purge_plan() if dry_run else purge(Actor.system("flask privacy purge"))
        verb = "would anonymise" if dry_run else "anonymised"
        click.echo(f"retention {retention_days()} days (closed before {plan.cutoff:%Y-%m-%d}): "
                   f"{verb} {', '.join(PERSONAL_COLUMNS)} of {len(plan.proposals)} proposals")
        for proposal in plan.proposals:
            click.echo(f"  {proposal.reference} {proposal.state.value} closed {proposal.updated_at:%Y-%m-%d}")
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
