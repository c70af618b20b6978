"""flask-smorest inside the existing Flask app: the OpenAPI 3.1 document is
generated from the blueprints' schemas (served at /api/v1/openapi.json,
readable at /api/v1/docs), and every API blueprint answers errors as
problem details, in the client's language, under a per-token rate limit.

flask-smorest normally installs an app-wide error handler and its own
documentation blueprint; here both are left out, so the HTML pages keep the
product's own error pages and the document is served (and completed with
the problem responses and the security of each operation) by this module."""

from __future__ import annotations

import copy

import flask_smorest
from flask import Blueprint, Flask, current_app, g, render_template
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from sqlalchemy import exc as sa_exc
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from api.auth import bearer_token
from api.models import token_digest
from api.problems import PROBLEM_TYPE, ApiProblem, api_locale, handle_api_problem, handle_http_exception
from core.extensions import db, limiter
from proposals.operations import NotPermitted, TransitionError

OPENAPI_VERSION = "3.1.0"
PREFIX = "/api/v1"


def without_nul(value):
    """JSON strings lose NUL characters, as form fields and query strings do
    (core/nul_free_request.py): PostgreSQL refuses NUL in text."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


class NulFreeParser(FlaskParser):
    def load_json(self, req, schema):
        return without_nul(super().load_json(req, schema))


class CityBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = NulFreeParser()


class CityApi(flask_smorest.Api):
    def _register_error_handlers(self):
        """Errors are handled per API blueprint (see api_blueprint)."""

    def _register_doc_blueprint(self):
        """The document is served by docs_bp below."""


smorest = CityApi()


def _rate_key() -> str:
    """Per token when there is one (a digest, never the token), per client otherwise."""
    token = bearer_token()
    return "api-token:" + token_digest(token)[:32] if token else "api-client:" + (get_remote_address() or "")


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _refused(error: TransitionError):
    status = 403 if isinstance(error, NotPermitted) else 409
    return handle_api_problem(ApiProblem(status, detail=error.message))


def _choose_locale() -> None:
    api_locale()  # read Accept-Language once; None lets the request go on


def _out_of_range(error: Exception):
    """A value the database or the date arithmetic cannot hold is the client's input: 400."""
    db.session.rollback()
    return handle_api_problem(ApiProblem(400, detail=_l("値が大きすぎるか、形式が正しくありません。値を確かめて送り直してください。")))


def _server_error(error: Exception):
    """The last resort, as a problem document (and logged), never an HTML page."""
    current_app.logger.exception("unhandled API error")
    db.session.rollback()
    return handle_api_problem(ApiProblem(500))


def api_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> flask_smorest.Blueprint:
    """A blueprint of the JSON API: problem details, language, rate limit."""
    blp = CityBlueprint(name, import_name, url_prefix=url_prefix, description=description)
    blp.register_error_handler(ApiProblem, handle_api_problem)
    blp.register_error_handler(HTTPException, handle_http_exception)
    blp.register_error_handler(TransitionError, _refused)
    blp.register_error_handler(sa_exc.DataError, _out_of_range)
    blp.register_error_handler(OverflowError, _out_of_range)
    blp.register_error_handler(Exception, _server_error)
    blp.before_request(_choose_locale)
    limiter.limit(_rate_limit, key_func=_rate_key, per_method=False)(blp)
    return blp


# --- the document ------------------------------------------------------------------------------------

docs_bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}


def document(app: Flask) -> dict:
    """The generated document, completed: the bearer scheme, each operation's
    security (from the scope its view requires), and problem responses."""
    spec = copy.deepcopy(smorest.spec.to_dict())
    # Paths relative to the server URL, as clients write them: /proposals, not /api/v1/proposals.
    spec["servers"] = [{"url": app.config["BASE_URL"] + PREFIX}]
    spec["paths"] = {path.removeprefix(PREFIX): item for path, item in spec.get("paths", {}).items()}
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components["securitySchemes"] = {"token": {
        "type": "http", "scheme": "bearer",
        "description": "A personal token (settings page or `flask tokens create`); scopes: read, act"}}
    scopes = _scopes_by_operation(app)
    problem = {"description": "Problem details (RFC 9457)",
               "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            scope = scopes.get((path, method))
            operation["security"] = [{"token": []}] if scope else []
            responses = operation.setdefault("responses", {})
            for code, response in list(responses.items()):
                if str(code)[0] in "45" and "$ref" not in response:
                    responses[code] = {**problem, "description": response.get("description", problem["description"])}
                elif "$ref" in response:
                    responses[code] = problem
            responses["default"] = problem
            if "428" in responses:
                operation.setdefault("parameters", []).append(IF_MATCH)
            if method == "post" and getattr(_view_of(app, path, method), "_idempotent", False):
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
    return spec


IF_MATCH = {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"},
            "description": "the proposal's ETag (GET it first); 412 when it changed, 428 when missing"}
IDEMPOTENCY_KEY = {"in": "header", "name": "Idempotency-Key", "required": False,
                   "schema": {"type": "string", "maxLength": 200},
                   "description": "the same key again returns the first answer instead of creating twice"}


def _view_of(app: Flask, path: str, method: str):
    for rule in app.url_map.iter_rules():
        if _openapi_path(rule.rule) == PREFIX + path and method.upper() in rule.methods:
            return app.view_functions.get(rule.endpoint)
    return None


def _openapi_path(rule: str) -> str:
    for converter in ("int:", "string:", "path:"):
        rule = rule.replace("<" + converter, "<")
    return rule.replace("<", "{").replace(">", "}")


def _scopes_by_operation(app: Flask) -> dict[tuple[str, str], str]:
    found = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        scope = getattr(view, "_api_scope", None)
        if scope is None:
            continue
        path = _openapi_path(rule.rule).removeprefix(PREFIX)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found[(path, method.lower())] = scope
    return found


@docs_bp.route("/openapi.json")
def openapi():
    return document(current_app)


@docs_bp.route("/docs")
def docs():
    """A readable page of the same document (no scripts: it passes any CSP)."""
    g.api_locale = "ja"
    return render_template("api/docs.html", spec=document(current_app))


def init_app(app: Flask, blueprints: list) -> None:
    app.config.setdefault("API_TITLE", "協働・連携の窓口 API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", OPENAPI_VERSION)
    app.config.setdefault("API_RATE_LIMIT", "300 per minute")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": "協働・連携の窓口の JSON API。docs/api.md に curl での使い方があります。"}})
    smorest.init_app(app)
    for blp in blueprints:
        smorest.register_blueprint(blp)
    app.register_blueprint(docs_bp)
