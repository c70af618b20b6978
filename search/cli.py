"""`flask search reindex` and `flask similar rank FILE.jsonl [--k 5]`."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask

from core.extensions import db
from search.documents import analyse_data
from search.index import reindex_all
from search.similarity import TOP, Features, rank_collection


def register(app: Flask) -> None:
    @app.cli.group("search")
    def search_group():
        """The search index of proposals."""

    @search_group.command("reindex")
    def reindex_command():
        """Rebuild the index of every submitted proposal and the word frequencies."""
        done = reindex_all(db.session, echo=lambda n: click.echo(f"  {n} indexed", err=True))
        click.echo(f"search index rebuilt: {done} proposals")

    @app.cli.group("similar")
    def similar_group():
        """Similar proposals."""

    @similar_group.command("rank")
    @click.argument("file", type=click.File("r", encoding="utf-8"))
    @click.option("--k", default=TOP, show_default=True, type=click.IntRange(1, 100))
    def rank_command(file, k):
        """Rank each proposal of FILE.jsonl (docs/proposal.md, each with an `id`) against the
        others of the file only; print one JSON line per input, best first. Saves nothing."""
        items, errors = [], 0
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict) or "id" not in data:
                    raise ValueError("each line needs an object with an id")
            except ValueError as error:
                errors += 1
                click.echo(json.dumps({"line": number, "error": str(error)}, ensure_ascii=False), err=True)
                continue
            items.append((data["id"], Features.of(analyse_data(data))))
        ranked = rank_collection(items, k)
        for key, _ in items:
            similar = [{"id": m.key, "score": m.score} for m in ranked[key]]
            click.echo(json.dumps({"id": key, "similar": similar}, ensure_ascii=False))
        if errors:
            sys.exit(1)
