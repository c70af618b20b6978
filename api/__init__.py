"""The JSON API under /api/v1 (OpenAPI 3.1 by flask-smorest), personal
tokens, webhooks and the Open311 GeoReport v2 feed. See docs/api.md."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

import api.models  # noqa: F401  (tables for Alembic)
from api import open311, platform, tokens, views, webhooks
from api.resources import assignments, groups, proposals, public, similar, triage
from api.resources import webhooks as webhooks_resource
from core.extensions import csrf
from core.nav import add_admin_link, add_nav


def init_app(app: Flask) -> None:
    api_blueprints = [proposals.blp, similar.blp, triage.blp, assignments.blp, groups.blp, public.blp,
                      webhooks_resource.blp]
    for blueprint in [*api_blueprints, platform.docs_bp, open311.bp]:
        csrf.exempt(blueprint)  # bearer tokens, never cookies: nothing to forge
    platform.init_app(app, api_blueprints)
    app.register_blueprint(open311.bp)
    app.register_blueprint(tokens.bp)
    app.register_blueprint(views.admin_bp)
    tokens.register_cli(app)
    webhooks.init_app(app)
    add_admin_link(app, "api_admin.tokens", _l("APIトークン"))
    add_nav(app, "api_tokens.settings", _l("APIトークン"), "staff", order=85)
