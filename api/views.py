"""The JSON API under /api/v1. Staff authenticate with a bearer token that
an administrator created (/admin/api-tokens); only its digest is stored."""

from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from api.forms import TokenForm
from api.models import ApiToken, token_digest
from api.openapi import document
from api.operations import create_token, note_token_used, revoke_token
from core.audit import Actor
from core.auth import staff_required
from core.calendar import to_local
from core.extensions import db
from core.models import Role, User
from routing.engine import InputError, evaluate
from routing.store import get_version, ruleset_data

bp = Blueprint("api", __name__, url_prefix="/api/v1")
admin_bp = Blueprint("api_admin", __name__, url_prefix="/admin/api-tokens")


def _error(status: int, detail: str):
    return {"error": {401: "Unauthorized", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}.get(status, "Error"),
            "status": status, "detail": detail}, status


def token_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _error(401, "send Authorization: Bearer <token>")
        row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_digest(token.strip())))
        if row is None or row.revoked_at is not None or not row.user.active or not row.user.is_staff:
            return _error(401, "unknown or revoked token")
        note_token_used(row)
        db.session.commit()
        g.api_user = row.user
        return view(*args, **kwargs)

    return wrapped


@bp.route("/routing/preview", methods=["POST"])
@token_required
def routing_preview():
    """One proposal (proposal.md shape) in, one decision out; nothing is saved."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error(400, "the body must be one proposal as a JSON object")
    which = request.args.get("ruleset", "published")
    version = get_version(which)
    if version is None:
        return _error(404, f"no ruleset {which!r}")
    try:
        decision = evaluate(data, ruleset_data(version))
    except InputError as error:
        return _error(400, str(error))
    finally:
        db.session.rollback()
    return decision.to_json()


@bp.route("/openapi.json")
def openapi():
    return document(current_app.config["BASE_URL"])


# --- administration of tokens ------------------------------------------------------------------

@admin_bp.route("/", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def tokens():
    form = TokenForm()
    staff = db.session.scalars(sa.select(User).where(User.role != Role.APPLICANT, User.active).order_by(User.id)).all()
    form.user.choices = [SelectChoice(0, _l("選んでください"))] + [SelectChoice(u.id, f"{u.name} <{u.email}>")
                                                                    for u in staff]
    created = None
    status = 200
    if request.method == "POST":
        owner = db.session.get(User, form.user.data) if form.validate_on_submit() else None
        if owner is not None and owner.is_staff:
            _, created = create_token(owner, form.name.data.strip(), Actor.of_user(current_user))
            db.session.commit()
        else:
            if form.user.data == 0 and not form.user.errors:
                form.user.errors.append(_l("職員を選んでください。"))
            status = 400
    rows = db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id.desc())).all()
    return render_template("api/tokens.html", form=form, rows=rows, created=created, local=to_local), status


@admin_bp.route("/<int:token_id>/revoke", methods=["POST"])
@staff_required(Role.ADMIN)
def revoke(token_id: int):
    row = db.session.get(ApiToken, token_id) or abort(404)
    revoke_token(row, Actor.of_user(current_user))
    db.session.commit()
    flash(_l("トークンを無効にしました。"), "success")
    return redirect(url_for("api_admin.tokens"))
