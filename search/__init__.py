"""Search and similar proposals (issue 11, part 1).

Below the rooms and above `proposals` in the layers (docs/architecture.md):
intake's review step, routing's triage desk, responses' inbox and the public
catalogue all call it, and rooms may not import each other. It imports only
`proposals`, `core` and `text`. Its Flask wiring (the commands, the Celery
tasks, the signal receivers and the staff search page) is registered by
`window/` through `init_app`, like the rooms.

    documents   what is indexed of a proposal (fields, terms, grams)
    similarity  the pure TF-IDF cosine (no database): `flask similar rank` and the pages share it
    models      the index table (search_documents, plus FTS5 on SQLite)
    index       writing the index (one proposal, all of them), the IDF table
    query       search (staff and public) and similar proposals over the index
    access      which proposals a staff member may see (the inbox's and triage's rule)
    highlight   the matches of a query marked in a text (HTML-escaped)
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from search import cli, receivers, views  # noqa: F401  (the tasks register with Celery on import)

    receivers.connect()
    cli.register(app)
    app.register_blueprint(views.bp)
