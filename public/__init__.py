"""The public room: catalogue, partners wanted, statistics, open data and
the evaluation of adopted proposals."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.nav import add_nav
from proposals.visibility import consented_fields
from public import (
    models,  # noqa: F401  (tables for Alembic)
    tasks,  # noqa: F401  (registers public.refresh_stats with Celery)
    views,
    views_evaluation,  # noqa: F401  (routes on views.bp)
    views_partners,  # noqa: F401
    views_stats,  # noqa: F401
)


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)

    @app.context_processor
    def consent_helpers():
        # Public pages show a proposal's field only if its consent version named it.
        return {"consented": lambda proposal, field: field in consented_fields(proposal.consent_version)}

    # The statistics' summary table recounted every five minutes (public.statistics.cached).
    app.config.setdefault("EXTRA_BEAT_SCHEDULE", {})
    app.config["EXTRA_BEAT_SCHEDULE"].setdefault("stats-refresh", {"task": "public.refresh_stats", "schedule": 300.0})
    celery = app.extensions.get("celery")
    if celery is not None:
        celery.conf.beat_schedule = {**celery.conf.beat_schedule, **app.config["EXTRA_BEAT_SCHEDULE"]}
    add_nav(app, "public.catalogue", _l("公開提案"), "all", order=60)
    add_nav(app, "public.partners", _l("パートナー募集"), "all", order=61)
    add_nav(app, "public.stats", _l("統計"), "all", order=62)
    add_nav(app, "public.open_data", _l("オープンデータ"), "all", order=63)
    add_nav(app, "public.manage_publication", _l("公開の承認"), "window", order=70)
    add_nav(app, "public.evaluations", _l("評価"), "department", order=71)
