"""The routing room: rules as versioned data, the engine, the triage desk
(/triage) and the rule editor (/admin/routing). See docs/routing.md."""

from __future__ import annotations

from celery.schedules import crontab
from flask import Flask
from flask_babel import lazy_gettext as _l

import routing.models  # noqa: F401  (tables for Alembic)
from core.nav import add_admin_link, add_nav
from proposals.operations import proposal_submitted, proposal_transitioned
from routing import cli, operations, reasons, tasks, views_admin, views_dictionary, views_triage  # noqa: F401  (views_dictionary: routes on views_admin.bp; tasks: registered)


def init_app(app: Flask) -> None:
    # Nightly, a new model version from the window's confirmations and overrides (03:30).
    app.config.setdefault("EXTRA_BEAT_SCHEDULE", {})
    app.config["EXTRA_BEAT_SCHEDULE"].setdefault(
        "routing-train-model", {"task": "routing.train_model", "schedule": crontab(hour=3, minute=30)}
    )
    celery = app.extensions.get("celery")
    if celery is not None:
        celery.conf.beat_schedule = {**celery.conf.beat_schedule, **app.config["EXTRA_BEAT_SCHEDULE"]}

    app.register_blueprint(views_triage.bp)
    app.register_blueprint(views_admin.bp)
    cli.register(app)
    add_nav(app, "triage.queue", _l("振り分け"), "window", order=20)
    add_admin_link(app, "routing_admin.index", _l("振り分けルール"))
    add_admin_link(app, "routing_admin.keywords", _l("テーマ辞書（キーワード・地名）"))
    add_admin_link(app, "routing_admin.themes", _l("テーマの所管局と区レベル"))
    app.context_processor(_reason_helpers)
    proposal_submitted.connect(operations.on_submitted)
    proposal_transitioned.connect(operations.on_transitioned)


def _reason_helpers() -> dict:
    """rule_why(result, by_code, themes): a rule's reasons in the reader's language;
    rule_text(name): a shipped rule's name, description or tag in it (routing.reasons)."""
    from flask_babel import get_locale, gettext

    locale = str(get_locale() or "ja")

    def rule_why(result: dict, by_code: dict, themes: dict) -> str:
        return reasons.result_text(result, reasons.for_reader(by_code, themes, locale))

    def rule_text(text: str | None) -> str:
        return gettext(text) if text in reasons.SHIPPED else (text or "")

    return {"rule_why": rule_why, "rule_text": rule_text}
