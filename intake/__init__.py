"""The intake room: the applicant's side. The multi-step proposal form with
server-side drafts, files, submission; "my proposals", the status page with
the public timeline, messages, answers and withdrawal; organisation members
and invitations; emails on public changes."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.nav import add_nav
from intake import (  # noqa: F401  (routes on views.bp)
    cli,
    models,  # noqa: F401  (tables for Alembic)
    notifications,
    views,
    views_members,
    views_privacy,
    views_status,
    views_steps,
)


def init_app(app: Flask) -> None:
    # Whole request bodies: every file of one upload plus the form fields.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_ATTACHMENTS"] * app.config["MAX_ATTACHMENT_BYTES"] + 1024 * 1024
    app.register_blueprint(views.bp)
    add_nav(app, "intake.start", _l("提案する"), "public", order=10)
    add_nav(app, "intake.my_proposals", _l("わたしの提案"), "applicant", order=20)
    notifications.connect()
    cli.register(app)
    # Personal data of long-closed proposals is anonymised once a day (flask privacy purge does the same).
    app.config.setdefault("EXTRA_BEAT_SCHEDULE", {})
    app.config["EXTRA_BEAT_SCHEDULE"].setdefault("privacy-purge", {"task": "privacy.purge", "schedule": 86400.0})
    celery = app.extensions.get("celery")
    if celery is not None:
        celery.conf.beat_schedule = {**celery.conf.beat_schedule, **app.config["EXTRA_BEAT_SCHEDULE"]}
