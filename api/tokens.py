"""Personal API tokens: made by their owner on /settings/api-tokens (staff
and applicants) or by `flask tokens create`; scoped, expiring, revocable."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from api.forms import PersonalTokenForm
from api.models import SCOPES, ApiToken
from api.operations import DEFAULT_DAYS, TokenError, create_token, revoke_token
from core.audit import Actor
from core.calendar import to_local
from core.extensions import db
from core.models import User

# --- the settings page ------------------------------------------------------------------------------

bp = Blueprint("api_tokens", __name__, url_prefix="/settings/api-tokens")


@bp.route("/", methods=["GET", "POST"])
@login_required
def settings():
    form = PersonalTokenForm()
    created, status = None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            scopes = ["read", "act"] if form.act.data else ["read"]
            _, created = create_token(current_user, form.name.data, Actor.of_user(current_user), scopes=scopes,
                                      days=form.days.data)
            db.session.commit()
        else:
            status = 400
    rows = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == current_user.id)
                              .order_by(ApiToken.id.desc())).all()
    return render_template("api/personal_tokens.html", form=form, rows=rows, created=created, local=to_local), status


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_own(token_id: int):
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id))
    if row is not None and row.revoked_at is None:
        revoke_token(row, Actor.of_user(current_user))
        db.session.commit()
        flash(_l("トークンを無効にしました。"), "success")
    return redirect(url_for("api_tokens.settings"))


# --- the command ----------------------------------------------------------------------------------------

def register_cli(app: Flask) -> None:
    @app.cli.group("tokens")
    def tokens():
        """Personal API tokens."""

    @tokens.command("create")
    @click.option("--user", "email", required=True, help="the owner's email address")
    @click.option("--scope", default="read", show_default=True, help="read or read,act")
    @click.option("--days", default=DEFAULT_DAYS, show_default=True, type=int, help="days until it expires")
    @click.option("--name", default="command line", show_default=True, help="what it is for")
    def create(email: str, scope: str, days: int, name: str):
        """Create a token and print it (once)."""
        scopes = [part.strip() for part in scope.split(",") if part.strip()]
        unknown = [part for part in scopes if part not in SCOPES]
        if unknown:
            raise click.BadParameter(f"unknown scope {', '.join(unknown)}; use read or read,act", param_hint="--scope")
        owner = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
        if owner is None:
            raise click.BadParameter(f"no user {email}", param_hint="--user")
        try:
            row, token = create_token(owner, name, Actor.system("flask tokens create"), scopes=scopes, days=days)
        except TokenError as refused:
            raise click.BadParameter(str(refused.message), param_hint="--days") from None
        db.session.commit()
        click.echo(token)
        click.echo(f"# {row.scopes}, expires {to_local(row.expires_at):%Y-%m-%d %H:%M} (Asia/Tokyo)", err=True)
