"""Administration: the email outbox viewer, the audit log (filtered by a
proposal's reference, so it knows proposals) and department reorganisation
(merging moves proposals' assignments: proposals/departments.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from core.audit import Actor
from core.auth import staff_required
from core.departments import ReorganisationError, rename_department
from core.extensions import db
from core.models import ActorKind, Department, Event, OutboxEmail, OutboxStatus, Role
from core.outbox import NotResendable, failed_rows, resend, stuck_rows
from core.paging import requested_page
from proposals.departments import merge_department, retire_department
from proposals.models import Proposal

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


@bp.route("/")
@staff_required(Role.ADMIN)
def index():
    return render_template("admin/index.html")


@bp.route("/outbox")
@staff_required(Role.ADMIN)
def outbox():
    page = requested_page()
    to_filter = (request.args.get("to") or "").strip()
    query = sa.select(OutboxEmail).order_by(OutboxEmail.id.desc())
    if to_filter:
        query = query.where(OutboxEmail.to_address.contains(to_filter))
    emails = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    # What needs a person: emails stuck mid-send after their last attempt, and failed ones.
    attention = stuck_rows() + failed_rows()
    return render_template("admin/outbox.html", emails=emails, to_filter=to_filter, attention=attention,
                           form=FlaskForm())


@bp.route("/outbox/<int:email_id>")
@staff_required(Role.ADMIN)
def outbox_email(email_id: int):
    email = db.session.get(OutboxEmail, email_id) or abort(404)
    return render_template("admin/outbox_email.html", email=email, form=FlaskForm(),
                           resendable=email in stuck_rows() or email.status == OutboxStatus.FAILED)


@bp.route("/outbox/<int:email_id>/resend", methods=["POST"])
@staff_required(Role.ADMIN)
def outbox_resend(email_id: int):
    email = db.session.get(OutboxEmail, email_id) or abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        resend(email, Actor.of_user(current_user))
    except NotResendable:
        flash(_l("このメールは再送できません（送信済み、または送信待ちです）。"), "error")
        return redirect(url_for("admin.outbox_email", email_id=email_id))
    db.session.commit()
    flash(_l("メールを再送の列に戻しました。まもなく送信されます。"), "success")
    return redirect(url_for("admin.outbox_email", email_id=email_id))


@bp.route("/audit")
@staff_required(Role.ADMIN)
def audit():
    """The audit log: every state change, who or what did it, newest first."""
    page = requested_page()
    kind = (request.args.get("kind") or "").strip()
    actor_kind = request.args.get("actor_kind") or ""
    reference = (request.args.get("reference") or "").strip()
    query = sa.select(Event).order_by(Event.id.desc())
    if kind:
        query = query.where(Event.kind == kind)
    if actor_kind in {k.value for k in ActorKind}:
        query = query.where(Event.actor_kind == ActorKind(actor_kind))
    if reference:
        query = query.join(Proposal, Proposal.id == Event.proposal_id).where(Proposal.reference == reference)
    events = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    kinds = db.session.scalars(sa.select(Event.kind).distinct().order_by(Event.kind)).all()
    return render_template("admin/audit.html", events=events, kinds=kinds, actor_kinds=list(ActorKind),
                           filters={"kind": kind, "actor_kind": actor_kind, "reference": reference})


class RenameForm(FlaskForm):
    name_ja = StringField(_l("新しい名称（日本語）"), validators=[DataRequired(_l("日本語の名称を入力してください。")), Length(max=200)])
    name_en = StringField(_l("新しい名称（英語）"), validators=[DataRequired(_l("英語の名称を入力してください。")), Length(max=200)])


class MergeForm(FlaskForm):
    target = SelectField(_l("統合先の部署"), coerce=int)


@bp.route("/departments")
@staff_required(Role.ADMIN)
def departments():
    rows = db.session.scalars(sa.select(Department).order_by(Department.active.desc(), Department.id)).all()
    return render_template("admin/departments.html", departments=rows)


@bp.route("/departments/<code>", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def department(code: str):
    dept = db.session.scalar(sa.select(Department).where(Department.code == code)) or abort(404)
    rename_form = RenameForm(prefix="rename", name_ja=dept.name_ja, name_en=dept.name_en)
    merge_form = MergeForm(prefix="merge")
    merge_form.target.choices = [
        (d.id, d.name_ja) for d in db.session.scalars(
            sa.select(Department).where(Department.active, Department.id != dept.id).order_by(Department.id))
    ]
    actor = Actor.of_user(current_user)
    action = request.form.get("action")
    try:
        if action == "rename" and rename_form.validate_on_submit():
            rename_department(dept, rename_form.name_ja.data.strip(), rename_form.name_en.data.strip(), actor)
            return _done(_l("名称を変更しました。"), dept)
        if action == "merge" and merge_form.validate_on_submit():
            target = db.session.get(Department, merge_form.target.data) or abort(400)
            merge_department(dept, target, actor)
            return _done(_l("部署を統合しました。処理中の提案は統合先に引き継がれました。"), dept)
        if action == "retire" and FlaskForm().validate_on_submit():
            retire_department(dept, actor)
            return _done(_l("部署を廃止しました。"), dept)
    except ReorganisationError:
        db.session.rollback()
        flash(_l("処理中の提案が残っているため廃止できません。先に他の部署へ統合してください。"), "error")
    return render_template("admin/department.html", department=dept, rename_form=rename_form, merge_form=merge_form)


def _done(message, dept: Department):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.department", code=dept.code))
