"""`flask routing seed | preview | train | backtest`."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask

from core.audit import Actor
from core.extensions import db
from routing.engine import evaluate_many
from routing.ruleset_operations import backtest
from routing.seed import seed_routing
from routing.store import get_version, ruleset_data


def register(app: Flask) -> None:
    @app.cli.group("routing")
    def routing_group():
        """Routing rules: seed, preview, train, backtest."""

    @routing_group.command("seed")
    def seed_command():
        """Load the Kawasaki dictionary and the default ruleset (safe to run twice)."""
        result = seed_routing()
        db.session.commit()
        click.echo("routing seeded: " + ", ".join(f"{k}={v}" for k, v in result.items()))

    @routing_group.command("preview")
    @click.argument("file", type=click.File("r", encoding="utf-8"))
    @click.option("--ruleset", "which", default="published", show_default=True,
                  help="draft, published or a version number")
    def preview_command(file, which):
        """Print one decision (JSON) per proposal line of FILE.jsonl; saves nothing."""
        version = get_version(which)
        if version is None:
            raise click.ClickException(f"no ruleset {which!r}")
        data = ruleset_data(version)
        failures = 0
        # Read every line first: the model's views are worked out in one batch (evaluate_many).
        lines = [(number, line) for number, line in enumerate(file, start=1) if line.strip()]
        parsed = []
        for number, line in lines:
            try:
                parsed.append((number, json.loads(line)))
            except json.JSONDecodeError as error:
                parsed.append((number, error))
        decisions = iter(evaluate_many([p for _, p in parsed if not isinstance(p, Exception)], data))
        for number, proposal in parsed:
            result = proposal if isinstance(proposal, Exception) else next(decisions)
            if isinstance(result, Exception):
                failures += 1
                click.echo(json.dumps({"line": number, "error": str(result)}, ensure_ascii=False))
                continue
            click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        db.session.rollback()
        if failures:
            click.echo(f"{failures} line(s) could not be read", err=True)
            sys.exit(1)

    @routing_group.command("train")
    @click.option("--note", default="", help="why this version was trained")
    def train_command(note):
        """Train a new model version on the window's confirmations and overrides."""
        from routing.learning import NotEnoughExamples, train_version

        try:
            row = train_version(Actor.system("flask routing train"), note=note)
        except NotEnoughExamples as error:
            raise click.ClickException(str(error)) from error
        db.session.commit()
        score = "-" if row.heldout_score is None else f"{row.heldout_score:.1%}"
        click.echo(f"model v{row.version}: trained on {row.trained_on} examples, "
                   f"lead accuracy {score} on {row.heldout_size} held out")

    @routing_group.command("backtest")
    @click.option("--ruleset", "which", default="draft", show_default=True)
    @click.option("--last", default=200, show_default=True, help="how many recent proposals")
    def backtest_command(which, last):
        """List recent proposals whose lead would change under a ruleset."""
        version = get_version(which)
        if version is None:
            raise click.ClickException(f"no ruleset {which!r}")
        result = backtest(version, last)
        for row in result["changed"]:
            click.echo(f"{row['proposal'].reference}\t{row['from']} -> {row['to']}\t{row['rule'] or ''}")
        for row in result["counts"]:
            click.echo(f"{row['department']}\t+{row['gained']}\t-{row['lost']}")
        click.echo(f"{len(result['changed'])} of {result['total']} proposals would change lead")
        db.session.rollback()
