"""Administration of API tokens (/admin/api-tokens). The JSON API itself
lives in api/resources (see api/platform.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from api.forms import TokenForm
from api.models import ApiToken
from api.operations import create_token, revoke_token
from core.audit import Actor
from core.auth import staff_required
from core.calendar import to_local
from core.extensions import db
from core.models import Role, User

admin_bp = Blueprint("api_admin", __name__, url_prefix="/admin/api-tokens")


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
