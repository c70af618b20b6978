"""The kernel: configuration, extensions, users and roles, departments and
themes, audit log, notification outbox, business calendar and sign-in. It
imports no other package of the project (import-linter checks); the
application itself is assembled in window/."""

from __future__ import annotations

from flask import Flask

from core import auth, cli
from core.extensions import login_manager


def init_app(app: Flask) -> None:
    """Sign-in and the outbox command; the pages are registered by window/."""
    app.register_blueprint(auth.bp)
    cli.register(app)
    login_manager.user_loader(auth.load_user)
    login_manager.unauthorized_handler(auth.unauthorized)
