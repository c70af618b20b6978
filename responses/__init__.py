"""The responses room: the department inbox, typed answers, business-day
deadlines, reminders and the escalation ladder, the window's dashboard.
See docs/deadlines.md."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core import formats
from core.nav import add_admin_link, add_nav
from proposals.operations import proposal_assigned, proposal_transitioned
from responses import cli, deadlines, models, tasks, views, views_admin, views_privacy, views_templates  # noqa: F401  (models: tables for Alembic; views_templates: routes on views.bp)


def init_app(app: Flask) -> None:
    # The deadline settings (DEADLINE_ACK_BUSINESS_DAYS …) come from core.config.load_config.
    # The sweep every five minutes (one beat process runs it; it is safe to run twice).
    app.config.setdefault("EXTRA_BEAT_SCHEDULE", {})
    app.config["EXTRA_BEAT_SCHEDULE"].setdefault(
        "deadline-sweep", {"task": "deadlines.sweep", "schedule": 300.0}
    )
    celery = app.extensions.get("celery")
    if celery is not None:
        celery.conf.beat_schedule = {**celery.conf.beat_schedule, **app.config["EXTRA_BEAT_SCHEDULE"]}

    # Connecting the same function again is a no-op (blinker keys receivers by id).
    proposal_assigned.connect(deadlines.on_assigned, weak=False)
    proposal_transitioned.connect(deadlines.on_transitioned, weak=False)

    app.add_template_filter(_resp_date, "resp_date")
    app.add_template_filter(_resp_datetime, "resp_datetime")
    app.register_blueprint(views.bp)
    app.register_blueprint(views_admin.window_bp)
    app.register_blueprint(views_admin.admin_bp)
    app.register_blueprint(views_privacy.bp)
    cli.register(app)
    add_nav(app, "responses.inbox", _l("受付箱"), "department", order=30)
    add_nav(app, "window_dashboard.dashboard", _l("期限の状況"), "window", order=35)
    add_admin_link(app, "deadline_admin.closed_days", _l("閉庁日と回答期限の設定"))
    add_admin_link(app, "deadline_admin.heads", _l("局長・区長（エスカレーション先）"))
    add_admin_link(app, "privacy_admin.reads", _l("個人情報の閲覧記録"))


def _resp_date(value) -> str:
    return formats.day(value)


def _resp_datetime(value) -> str:
    return formats.moment(value)
