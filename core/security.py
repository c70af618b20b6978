"""App-wide protections that are not one room's business: what happens
when Redis is lost (rate limits fall back to memory, a clear 503 where
something truly cannot go on) and the security headers.

create_app calls init_app(app) once; everything app-wide for issue 13
lives here so the composition package only needs that one line."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    _register_service_unavailable(app)


def _broker_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "Redis (the broker or the limiter's storage) is
    unreachable": a service is down, not a bug in the request."""
    import kombu.exceptions
    import redis.exceptions

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, kombu.exceptions.OperationalError)


def _register_service_unavailable(app: Flask) -> None:
    def service_unavailable(error):
        from core.extensions import db

        db.session.rollback()
        log.warning("a backing service is unreachable: %s", error.__class__.__name__)
        if request.path.startswith("/api/"):
            return {"error": "Service Unavailable", "status": 503,
                    "detail": "a backing service is unreachable; try again in a few minutes"}, 503
        return render_template(
            "core/error.html", code=503, title=_l("一時的にご利用いただけません"),
            message=_l("システムの一部に接続できないため、この操作を完了できませんでした。入力内容は保存されていません。数分おいてからもう一度お試しください。"),
        ), 503, {"Retry-After": "120"}

    for error_class in _broker_errors():
        app.register_error_handler(error_class, service_unavailable)
