"""The routing room: rules as versioned data, the engine, the triage desk
(/triage) and the rule editor (/admin/routing). See docs/routing.md."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

import routing.models  # noqa: F401  (tables for Alembic)
from core.nav import add_admin_link, add_nav
from proposals.operations import proposal_submitted, proposal_transitioned
from routing import cli, operations, views_admin, views_dictionary, views_triage  # noqa: F401  (views_dictionary: routes on views_admin.bp)


def init_app(app: Flask) -> None:
    app.register_blueprint(views_triage.bp)
    app.register_blueprint(views_admin.bp)
    cli.register(app)
    add_nav(app, "triage.queue", _l("振り分け"), "window", order=20)
    add_admin_link(app, "routing_admin.index", _l("振り分けルール"))
    add_admin_link(app, "routing_admin.keywords", _l("テーマ辞書（キーワード・地名）"))
    add_admin_link(app, "routing_admin.themes", _l("テーマの所管局と区レベル"))
    proposal_submitted.connect(operations.on_submitted)
    proposal_transitioned.connect(operations.on_transitioned)
