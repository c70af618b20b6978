"""The applicant's organisation members and invitations, and their settings."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm

from core.auth import applicant_required
from core.columns import utcnow
from core.extensions import db, limiter
from core.models import Membership, Organisation, Role, User
from intake import operations as ops
from intake.forms import InviteForm, SettingsForm
from intake.models import Invitation
from intake.views import account_key, applicant_user, bp, client_key
from proposals.audiences import wants

# --- organisation members ----------------------------------------------------------------------------------

@bp.route("/my/organisations/<int:organisation_id>/invite", methods=["GET", "POST"])
@applicant_required
@limiter.limit("20 per day", methods=["POST"], key_func=account_key)
def invite(organisation_id: int):
    organisation = db.session.scalar(sa.select(Organisation).join(Membership).where(
        Organisation.id == organisation_id, Membership.user_id == current_user.id)) or abort(404)
    form = InviteForm()
    if form.validate_on_submit():
        ops.invite(organisation, current_user, form.email.data)
        db.session.commit()
        flash(_l("%(email)s に招待のメールを送りました。リンクの有効期限は%(days)d日です。", email=form.email.data,
                 days=ops.INVITATION_DAYS), "success")
        return redirect(url_for("intake.my_proposals"))
    members = db.session.scalars(sa.select(User).join(Membership).where(
        Membership.organisation_id == organisation.id).order_by(User.id)).all()
    pending = db.session.scalars(sa.select(Invitation).where(
        Invitation.organisation_id == organisation.id, Invitation.accepted_at.is_(None),
        Invitation.expires_at > utcnow()).order_by(Invitation.id.desc())).all()
    return render_template("intake/invite.html", organisation=organisation, form=form, members=members,
                           pending=pending)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], key_func=client_key)
def accept_invitation(token: str):
    invitation = ops.find_invitation(token)
    if invitation is None:
        return render_template("intake/invitation_invalid.html"), 400
    if current_user.is_authenticated and current_user.email != invitation.email:
        return render_template("intake/invitation_other_account.html", invitation=invitation), 409
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            user = ops.accept_invitation(invitation, applicant_user())
        except ops.IntakeError as refused:
            db.session.rollback()
            flash(refused.message, "error")
            return redirect(url_for("core.home"))
        db.session.commit()
        if not current_user.is_authenticated:
            login_user(user)
        flash(_l("「%(name)s」のメンバーになりました。", name=invitation.organisation.name), "success")
        return redirect(url_for("intake.my_proposals"))
    return render_template("intake/invitation.html", invitation=invitation)


@bp.route("/my/settings", methods=["GET", "POST"])
@applicant_required
def settings():
    if current_user.role != Role.APPLICANT:
        return redirect(url_for("core.staff_home"))
    form = SettingsForm(data=dict(public_changes=wants(current_user, "public_changes"),
                                  messages=wants(current_user, "messages"), locale=current_user.locale or "ja"))
    if form.validate_on_submit():
        ops.update_settings(current_user, public_changes=form.public_changes.data, messages=form.messages.data,
                            locale=form.locale.data)
        db.session.commit()
        session["lang"] = current_user.locale
        flash(_l("設定を保存しました。"), "success")
        return redirect(url_for("intake.settings"))
    return render_template("intake/settings.html", form=form)
