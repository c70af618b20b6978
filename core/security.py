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


# No inline script or style anywhere (scripts are files in static/js), no
# other origin, and no page may be framed (clickjacking on /staff/login).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def init_app(app: Flask) -> None:
    _register_service_unavailable(app)
    _init_security_headers(app)


def _init_security_headers(app: Flask) -> None:
    from flask_talisman import Talisman

    production = app.config.get("APP_ENV") == "production"
    Talisman(
        app,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        x_content_type_options=True,
        # HTTPS is the reverse proxy's job; Strict-Transport-Security only in
        # production (and Talisman sends it only on HTTPS requests).
        force_https=False,
        strict_transport_security=production,
        strict_transport_security_include_subdomains=False,
        # Leave the cookie settings of core/config.py as they are.
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )
    app.after_request(_downloads_are_not_stored)


def _downloads_are_not_stored(response):
    """Files handed out as downloads (applicants' uploads to departments,
    exports) are not kept in shared or browser caches."""
    if response.headers.get("Content-Disposition", "").startswith("attachment"):
        response.headers["Cache-Control"] = "no-store"
    return response


def broker_unavailable(error: BaseException) -> bool:
    """Whether an error means "Redis (the broker or the limiter's storage) is
    unreachable": a service is down, not a bug in the request. Redis's classes
    are read only when an error from it arrives (redis is then imported):
    importing redis took a tenth of a second of every `flask` command's start-up."""
    if not any(cls.__module__.split(".")[0] == "redis" for cls in type(error).__mro__):
        return False
    import redis.exceptions

    return isinstance(error, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError))


def service_unavailable(error):
    """The 503 page (or problem) for a backing service that is unreachable."""
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


def _register_service_unavailable(app: Flask) -> None:
    """Kombu's OperationalError here; Redis's errors reach the app's last-resort
    handler (window), which hands them to service_unavailable (broker_unavailable())."""
    import kombu.exceptions

    app.register_error_handler(kombu.exceptions.OperationalError, service_unavailable)
