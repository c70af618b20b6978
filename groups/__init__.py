"""The groups room (協働グループ, collective impact): the window gathers
similar proposals into a named group, department staff see the groups their
proposals are in, the public sees a published group's page. The model and
the operations are the aggregate's (proposals/groups.py); see docs/groups.md."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.nav import add_nav
from groups import views, views_public


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(views_public.bp)
    add_nav(app, "groups.index", _l("協働グループ"), "window", order=72)
