"""Home page, language switch, staff landing page, health check. They
live in the composition because the home page counts proposals and the
staff landing page knows every room's first page; the blueprint keeps the
name "core" so that every template's url_for("core.home") stays as it was."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from core.auth import safe_next, staff_required
from core.extensions import db
from core.models import Department, DepartmentKind, Role, Theme
from proposals.lifecycle import OPEN_STATES
from proposals.models import Proposal, State

bp = Blueprint("core", __name__)


@bp.route("/")
def home():
    counts = dict(
        db.session.execute(
            sa.select(Proposal.state, sa.func.count()).where(Proposal.state != State.DRAFT).group_by(Proposal.state)
        ).all()
    )
    figures = {
        "received": sum(counts.values()),
        "open": sum(n for state, n in counts.items() if state in OPEN_STATES),
        "adopted": sum(counts.get(s, 0) for s in (State.ADOPTED, State.IN_PROGRESS, State.COMPLETED, State.EVALUATED)),
    }
    themes = db.session.scalars(sa.select(Theme).where(Theme.active).order_by(Theme.position)).all()
    wards = db.session.scalars(
        sa.select(Department).where(Department.kind == DepartmentKind.WARD, Department.active).order_by(Department.id)
    ).all()
    return render_template("core/home.html", figures=figures, themes=themes, wards=wards)


LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_DAYS = 365


@bp.route("/lang/<code>")
def set_language(code: str):
    response = redirect(safe_next(request.args.get("next"), url_for("core.home")))
    if code in ("ja", "en"):
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
        # Visitors who never sign in keep their choice too, after the browser closes.
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_DAYS * 24 * 3600, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False), httponly=True)
    return response


@bp.route("/staff")
@staff_required()
def staff_home():
    """Send each member of staff to where their work is."""
    targets = {
        Role.WINDOW: "triage.queue",
        Role.DEPARTMENT_STAFF: "responses.inbox",
        Role.DEPARTMENT_MANAGER: "responses.inbox",
        Role.ADMIN: "admin.index",
    }
    endpoint = targets.get(current_user.role, "core.home")
    try:
        return redirect(url_for(endpoint))
    except BuildError:  # that room's page does not exist in this build
        return redirect(url_for("admin.index" if current_user.is_admin else "core.home"))


@bp.route("/healthz")
def health():
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}
