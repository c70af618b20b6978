"""Personal API tokens: made by their owner on /settings/api-tokens (staff
and applicants) or by `flask tokens create`; scoped, expiring, revocable."""

from __future__ import annotations

from datetime import timedelta

import click
import sqlalchemy as sa
from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from api.models import SCOPES, ApiToken, new_token, token_digest
from core.audit import Actor, record_event
from core.calendar import to_local
from core.extensions import db
from core.models import User, utcnow

DEFAULT_DAYS = 90
MAX_DAYS = 365


class TokenError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def issue_token(owner: User, name: str, scopes: list[str], days: int, actor: Actor) -> tuple[ApiToken, str]:
    """A new token for `owner`, shown once; only its digest is kept."""
    scopes = [scope for scope in SCOPES if scope in set(scopes) | {"read"}]  # act implies read
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(_l("有効期間は1日から%(max)d日までの日数で指定してください。", max=MAX_DAYS))
    if not owner.active:
        raise TokenError(_l("無効になっている利用者にはトークンを作れません。"))
    token = new_token()
    row = ApiToken(name=name.strip()[:100] or "API", token_hash=token_digest(token), hint=token[:10],
                   user_id=owner.id, created_by_id=actor.user.id if actor.user else None,
                   scopes=",".join(scopes), expires_at=utcnow() + timedelta(days=days))
    db.session.add(row)
    db.session.flush()
    record_event(actor, "api_token_created", data={"token_id": row.id, "user_id": owner.id, "name": row.name,
                                                   "scopes": scopes, "days": days})
    return row, token


def revoke(row: ApiToken, actor: Actor) -> None:
    from api.views import revoke_token

    revoke_token(row, actor)


# --- the settings page ------------------------------------------------------------------------------

bp = Blueprint("api_tokens", __name__, url_prefix="/settings/api-tokens")


class PersonalTokenForm(FlaskForm):
    name = StringField(_l("用途"), validators=[DataRequired(_l("用途を入力してください。例: 団体の受付システム連携")),
                                             Length(max=100, message=_l("用途は100文字以内で入力してください。"))],
                       description=_l("何に使うトークンかを書いてください。一覧に表示されます。"))
    act = BooleanField(_l("変更もできるようにする（act）"),
                       description=_l("チェックしないと、読み取り（read）だけのトークンになります。"))
    days = IntegerField(_l("有効期間（日）"), default=DEFAULT_DAYS,
                        validators=[DataRequired(_l("有効期間を日数で入力してください。例: 90")),
                                    NumberRange(min=1, max=MAX_DAYS,
                                                message=_l("有効期間は1日から365日までの日数で入力してください。"))])


@bp.route("/", methods=["GET", "POST"])
@login_required
def settings():
    form = PersonalTokenForm()
    created, status = None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            scopes = ["read", "act"] if form.act.data else ["read"]
            _, created = issue_token(current_user, form.name.data, scopes, form.days.data, Actor.of_user(current_user))
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
        revoke(row, Actor.of_user(current_user))
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
            row, token = issue_token(owner, name, scopes, days, Actor.system("flask tokens create"))
        except TokenError as refused:
            raise click.BadParameter(str(refused.message), param_hint="--days") from None
        db.session.commit()
        click.echo(token)
        click.echo(f"# {row.scopes}, expires {to_local(row.expires_at):%Y-%m-%d %H:%M} (Asia/Tokyo)", err=True)
