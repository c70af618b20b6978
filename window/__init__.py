"""The composition: `create_app`, every room's registration, the command
line and the seed. The only package that knows every room (see
docs/architecture.md); `flask` finds it through .flaskenv (FLASK_APP=window:create_app)."""

from __future__ import annotations

import gc

# Start-up (issue 16): importing the rooms creates some 200,000 objects that live as long as the process, and the
# garbage collector would walk them all again and again while they are created (~0.1 s) and once more at exit (~0.2 s
# of every `flask` command). So it pauses here and, after the imports, freezes them (gc.freeze: out of every later
# collection; the Python docs' advice before forking workers, too) and starts again (tests/test_startup.py).
gc.disable()

import logging
from pathlib import Path

from flask import Flask, has_request_context, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

import api
import core
import core.columns
import core.models
import core.tasks  # noqa: F401  (registers the core's tasks with Celery)
import groups
import intake
import proposals.groups  # noqa: F401  (every model module, so metadata and Alembic see all tables)
import proposals.models  # noqa: F401
import public
import responses
import routing
import search
from core import formats, security
from core.celery_app import celery_init_app
from core.config import PROJECT_ROOT, load_config
from core.extensions import babel, csrf, db, limiter, login_manager, migrate
from core.nav import add_nav, nav_items
from core.nul_free_request import CityRequest
from core.outbox import install_outbox_hooks
from proposals.labels import label, labels
from proposals.lifecycle import PUBLIC_STATE_LABELS, STATE_LABELS, public_state
from proposals.visibility import note as audience_note
from window import admin, cli, views

gc.freeze()
gc.enable()

# Packages with a translations/ folder of their own (catalogues are merged at
# run time, so rooms never edit each other's .po files), kernel first.
ROOMS = ("core", "proposals", "search", "intake", "routing", "responses", "public", "groups", "api", "window")
# Each room's init_app(app) registers its blueprints, commands and signal receivers.
ROOM_INITS = (core.init_app, search.init_app, intake.init_app, routing.init_app, responses.init_app, public.init_app,
              groups.init_app, api.init_app)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(Path(app.instance_path)))
    if overrides:
        app.config.update(overrides)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        str(PROJECT_ROOT / room / "translations") for room in ROOMS
    )
    logging.basicConfig(level=logging.INFO)
    # Before any route is added: every <int:…> in every room refuses ids the
    # database cannot hold (a 404, not an OverflowError and a 500).
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.request_class = CityRequest  # submitted text without NUL (PostgreSQL refuses it)

    _init_extensions(app)
    _init_i18n(app)
    _register_rooms(app)
    _register_error_pages(app)
    _register_template_helpers(app)
    security.init_app(app)  # issue 13: Redis-loss fallbacks, security headers
    return app


class BoundedIntegerConverter(IntegerConverter):
    """Flask's `int`, with at most 2**31 - 1: ids are INTEGER columns (signed
    32-bit on PostgreSQL), so a larger number can name no row."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True,
                     render_item=core.columns.render_migration_item,
                     include_object=core.columns.include_in_migrations)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    celery_init_app(app)

    with app.app_context():
        install_outbox_hooks()


def select_locale() -> str:
    if not has_request_context():
        return "ja"  # tasks and commands pass force_locale() when they need another language
    chosen = session.get("lang")
    if chosen in ("ja", "en"):
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale or "ja"
    if request.cookies.get("lang") in ("ja", "en"):
        return request.cookies["lang"]  # a visitor's choice from an earlier visit
    return "ja"  # Japanese first, whatever the browser says


def _init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Tokyo")


def _register_rooms(app: Flask) -> None:
    # The pages that span rooms (home, staff landing, administration) and the
    # commands that know every room (seed, demo, simulation) live here.
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    add_nav(app, "core.home", _l("トップ"), "all", order=0)
    add_nav(app, "admin.index", _l("管理"), "admin", order=90)
    for init in ROOM_INITS:
        init(app)
    cli.register(app, create_app)  # after the rooms: it adds to their command groups


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("core/error.html", code=400, title=_l("フォームの有効期限が切れました"),
                               message=_l("もう一度ページを開き直してから送信してください。入力内容は保存済みの下書きから再開できます。")), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/api/"):
            return {"error": error.name, "status": error.code, "detail": error.description}, error.code
        if error.code == 401:
            return redirect(url_for("auth.signin", next=request.full_path))
        titles = {
            403: _l("このページを表示する権限がありません"),
            404: _l("ページが見つかりません"),
            405: _l("この操作はできません"),
            413: _l("ファイルが大きすぎます"),
            429: _l("操作の回数が多すぎます"),
        }
        messages = {
            403: _l("サインインしているアカウントを確認してください。"),
            404: _l("URLが正しいか確認してください。"),
            413: _l("送信できる大きさを超えています。ファイルを小さくしてもう一度お試しください。"),
            429: _l("しばらく時間をおいてから、もう一度お試しください。"),
        }
        return render_template(
            "core/error.html", code=error.code, title=titles.get(error.code, error.name),
            message=messages.get(error.code, ""),
        ), error.code

    @app.errorhandler(OverflowError)
    @app.errorhandler(sa_exc.DataError)
    def value_out_of_range(error):
        # A safety net under the forms' own checks: a number in a URL or a
        # field that the database or the date arithmetic cannot hold is the
        # user's input, so it gets a 400 that says so, not a 500.
        db.session.rollback()
        app.logger.info("value out of range: %s", error.__class__.__name__)
        if request.path.startswith("/api/"):
            return {"error": "Bad Request", "status": 400, "detail": "a value is out of range"}, 400
        return render_template("core/error.html", code=400, title=_l("入力された値を扱えません"),
                               message=_l("数値が大きすぎるか、形式が正しくありません。前のページに戻り、値を確かめてからもう一度お試しください。")), 400

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    def database_unavailable(error):
        # The database went away mid-request (a restart, a failover, a killed
        # connection) or gave up on a lock: nothing was committed, the pool
        # replaces the connection, so trying again works. A 503 that says so,
        # never a 500 with half a page.
        try:
            db.session.rollback()
        except sa_exc.SQLAlchemyError:
            db.session.remove()
        app.logger.warning("database unavailable: %s", error.__class__.__name__)
        if request.path.startswith("/api/"):
            return {"error": "Service Unavailable", "status": 503, "detail": "try again shortly"}, 503, \
                {"Retry-After": "5"}
        return render_template("core/error.html", code=503, title=_l("ただいま処理できません"),
                               message=_l("データベースに一時的に接続できませんでした。操作は保存されていません。少し待ってから、もう一度お試しください。")), \
            503, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def server_error(error):  # pragma: no cover - last resort
        if security.broker_unavailable(error):  # Redis is down: a 503, not a bug (core.security)
            return security.service_unavailable(error)
        app.logger.exception("unhandled error")
        db.session.rollback()
        return render_template("core/error.html", code=500, title=_l("システムエラーが発生しました"),
                               message=_l("時間をおいてもう一度お試しください。")), 500


def _register_template_helpers(app: Flask) -> None:
    formats.register(app)  # one date format per language and one size format, on every page and email
    # Each room may add static/css/rooms/<room>.css; all are linked from base.html.
    room_sheets = sorted(p.name for p in (PROJECT_ROOT / "static" / "css" / "rooms").glob("*.css"))
    # Who will read a form field (proposals.visibility): a global, not a context variable, because
    # form macros are imported without the context.
    app.jinja_env.globals["audience_note"] = audience_note

    @app.context_processor
    def inject_helpers():
        locale = str(get_locale() or "ja")

        def dept_name(department):
            return department.name(locale) if department is not None else ""

        def ward_name(department):
            return department.area_name(locale) if department is not None else ""

        def state_label(state):
            return STATE_LABELS.get(state, state)

        def public_state_label(state):
            return PUBLIC_STATE_LABELS[public_state(state)]

        return {
            "room_stylesheets": lambda: room_sheets,
            "label": label,
            "labels": labels,
            "has_endpoint": lambda endpoint: endpoint in app.view_functions,
            "nav_items": lambda staff=False: nav_items(app, staff),
            "admin_links": lambda: app.extensions.get("admin_links", []),
            "current_locale": locale,
            "dept_name": dept_name,
            "ward_name": ward_name,
            "theme_name": dept_name,
            "state_label": state_label,
            "public_state_label": public_state_label,
            "public_state": public_state,
            "city_name": app.config["CITY_NAME_EN"] if locale == "en" else app.config["CITY_NAME_JA"],
        }
