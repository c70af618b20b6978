"""Command-line of the kernel: `flask outbox deliver`. The seed and the demo
are the composition's (window/cli.py)."""

from __future__ import annotations

import click
from flask import Flask

from core.outbox import deliver_pending


def register(app: Flask) -> None:
    @app.cli.group("outbox")
    def outbox_group():
        """The notification outbox."""

    @outbox_group.command("deliver")
    def outbox_deliver():
        """Deliver pending emails now (the worker does this every minute)."""
        click.echo(f"delivered {deliver_pending()}")
