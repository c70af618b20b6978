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
from flask_babel import lazy_gettext as _l

from core.nav import add_nav

BEAT = {
    "search-sweep": {"task": "search.sweep", "schedule": 600.0},
    "search-statistics": {"task": "search.statistics", "schedule": 24 * 3600.0},
    "search-digest": {"task": "search.digest", "schedule": 7 * 24 * 3600.0},
}


def init_app(app: Flask) -> None:
    from search import cli, models, pages, receivers, tasks, views  # noqa: F401  (models: tables; tasks: Celery)
    from search.highlight import highlight
    from search.query import Query

    app.config.setdefault("EXTRA_BEAT_SCHEDULE", {})
    for name, entry in BEAT.items():
        app.config["EXTRA_BEAT_SCHEDULE"].setdefault(name, entry)
    celery = app.extensions.get("celery")
    if celery is not None:
        celery.conf.beat_schedule = {**celery.conf.beat_schedule, **app.config["EXTRA_BEAT_SCHEDULE"]}
    receivers.connect()
    cli.register(app)
    app.register_blueprint(views.bp)
    app.add_template_global(highlight, "search_highlight")
    app.add_template_global(Query.parse, "search_parse")
    app.add_template_global(pages.similar_for_staff, "similar_for_staff")
    add_nav(app, "search.staff_search", _l("検索"), "staff", order=55)
