"""The JSON API under /api/v1 (staff tokens). See docs/routing.md."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

import api.models  # noqa: F401  (tables for Alembic)
from api import views
from core.extensions import csrf
from core.nav import add_admin_link


def init_app(app: Flask) -> None:
    csrf.exempt(views.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.admin_bp)
    add_admin_link(app, "api_admin.tokens", _l("APIトークン"))
