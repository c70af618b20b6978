"""The applicant's proposals once sent: the list, the status page with the
public timeline, messages and answers, withdrawal, and file downloads."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from core.audit import Actor
from core.auth import applicant_required
from core.extensions import db, limiter
from core.models import Department, Event, Membership, Organisation, Role
from intake import access
from intake import files as file_store
from intake import operations as ops
from intake.forms import AnswerForm, MessageForm, WithdrawForm
from intake.texts import NEXT_STEPS, describe_event
from intake.views import account_key, bp, checked_uploads, triage_by
from proposals import groups as group_ops
from proposals import visibility
from proposals.group_queries import memberships_of_proposal, other_consenting_members
from proposals.lifecycle import PublicState, find_transition, public_state
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, Attachment, Message, Proposal, State
from proposals.operations import TransitionError
from proposals.visibility import Reader

# --- my proposals ------------------------------------------------------------------------------------------

@bp.route("/my")
@applicant_required
def my_proposals():
    if current_user.role != Role.APPLICANT:
        return redirect(url_for("core.staff_home"))
    clause = access.applicant_proposals_clause(current_user)
    proposals = db.session.scalars(sa.select(Proposal).where(clause, Proposal.state != State.DRAFT)
                                   .order_by(Proposal.submitted_at.desc())).all()
    drafts = db.session.scalars(sa.select(Proposal).where(clause, Proposal.state == State.DRAFT)
                                .order_by(Proposal.updated_at.desc())).all()
    organisations = db.session.scalars(sa.select(Organisation).join(Membership).where(
        Membership.user_id == current_user.id).order_by(Organisation.id)).all()
    return render_template("intake/my_proposals.html", proposals=proposals, drafts=drafts,
                           organisations=organisations, public_state=public_state)


# --- the status page ---------------------------------------------------------------------------------------

def _render_status(proposal: Proposal, *, message_form=None, answer_form=None, errors=None, status=200):
    locale = str(get_locale() or "ja")
    state = public_state(proposal.state)
    assignments = sorted(db.session.scalars(sa.select(Assignment).where(
        Assignment.proposal_id == proposal.id, Assignment.status == AssignmentStatus.ACTIVE)).all(),
        key=lambda a: (a.role != AssignmentRole.LEAD, a.id))
    lead = next((a for a in assignments if a.role == AssignmentRole.LEAD), None)
    events = db.session.scalars(sa.select(Event).where(Event.proposal_id == proposal.id, Event.public)
                                .order_by(Event.created_at, Event.id)).all()
    messages = db.session.scalars(sa.select(Message).where(Message.proposal_id == proposal.id, ~Message.internal)
                                  .order_by(Message.created_at, Message.id)).all()
    attachments = db.session.scalars(sa.select(Attachment).where(Attachment.proposal_id == proposal.id)
                                     .order_by(Attachment.id)).all()
    by_message: dict[int | None, list[Attachment]] = {}
    for attachment in attachments:
        by_message.setdefault(attachment.message_id, []).append(attachment)
    children: dict[int | None, list[Message]] = {}
    ids = {m.id for m in messages}
    for message in messages:
        children.setdefault(message.parent_id if message.parent_id in ids else None, []).append(message)
    info_request = None
    if proposal.state == State.INFO_REQUESTED:
        info_request = db.session.scalar(sa.select(Event).where(
            Event.proposal_id == proposal.id, Event.kind == "state_changed", Event.to_state == State.INFO_REQUESTED)
            .order_by(Event.id.desc()).limit(1))
    outcome = None
    if proposal.state in (State.ADOPTED, State.IN_PROGRESS, State.COMPLETED, State.EVALUATED):
        adopted = db.session.scalar(sa.select(Event).where(
            Event.proposal_id == proposal.id, Event.kind == "state_changed", Event.to_state == State.ADOPTED)
            .order_by(Event.id.desc()).limit(1))
        # The next steps, budget year and agreement, as far as the declaration lets the applicant read them.
        outcome = visibility.data_for(adopted, Reader.APPLICANT) if adopted is not None else None
    triage_date = triage_by(proposal.submitted_at) if state == PublicState.RECEIVED else None
    departments = {d.id: d for d in db.session.scalars(sa.select(Department))}
    return render_template(
        "intake/status.html", proposal=proposal, state=state, next_step=NEXT_STEPS[state], lead=lead,
        assignments=assignments, events=events, describe_event=describe_event, departments=departments,
        roots=children.get(None, []), children=children, by_message=by_message, info_request=info_request,
        triage_by=triage_date, merged_into=db.session.get(Proposal, proposal.merged_into_id)
        if proposal.merged_into_id else None, message_form=message_form or MessageForm(formdata=None),
        answer_form=answer_form or AnswerForm(formdata=None), errors=errors or [],
        can_withdraw=find_transition(proposal.state, State.WITHDRAWN) is not None,
        can_message=proposal.state not in (State.DRAFT, State.MERGED, State.WITHDRAWN),
        outcome=outcome, comment_of=lambda event: visibility.comment_for(event, Reader.APPLICANT),
        published=_published_link(proposal),
        locale=locale, max_files=current_app.config["MAX_ATTACHMENTS"],
        max_bytes=current_app.config["MAX_ATTACHMENT_BYTES"],
        files_field="answer_files" if answer_form is not None else "message_files",  # the one the errors concern
        group_memberships=memberships_of_proposal(proposal.id), other_consenting_members=other_consenting_members,
    ), status


def _published_link(proposal: Proposal) -> str | None:
    """The public catalogue page, while the proposal is on it."""
    if not (proposal.consent_publish and proposal.publication_approved):
        return None
    if "public.proposal" not in current_app.view_functions:
        return None
    return url_for("public.proposal", reference=proposal.reference)


@bp.route("/my/proposals/<reference>")
@applicant_required
def status(reference: str):
    proposal = access.load_for_applicant(reference) or abort(404)
    return _render_status(proposal)


@bp.route("/my/proposals/<reference>/messages", methods=["POST"])
@applicant_required
@limiter.limit("30 per hour", key_func=account_key)
def post_message(reference: str):
    proposal = access.load_for_applicant(reference) or abort(404)
    form = MessageForm()
    checked, errors = checked_uploads()
    if form.validate_on_submit() and not errors:
        parent_id = int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None
        try:
            ops.send_message(proposal, current_user, form.body.data, checked, parent_id=parent_id)
        except (ops.IntakeError, TransitionError) as refused:
            db.session.rollback()
            errors = [str(refused.message)]
        else:
            db.session.commit()
            flash(_l("メッセージを送りました。"), "success")
            return redirect(url_for("intake.status", reference=reference) + "#messages")
    return _render_status(proposal, message_form=form, errors=errors, status=400)


@bp.route("/my/proposals/<reference>/answer", methods=["POST"])
@applicant_required
@limiter.limit("30 per hour", key_func=account_key)
def answer(reference: str):
    proposal = access.load_for_applicant(reference) or abort(404)
    form = AnswerForm()
    checked, errors = checked_uploads()
    if form.validate_on_submit() and not errors:
        try:
            ops.answer(proposal, current_user, form.body.data, checked)
        except (ops.IntakeError, TransitionError) as refused:
            db.session.rollback()
            errors = [str(refused.message)]
        else:
            db.session.commit()
            flash(_l("回答を送りました。担当部署が確認します。"), "success")
            return redirect(url_for("intake.status", reference=reference))
    return _render_status(proposal, answer_form=form, errors=errors, status=400)


@bp.route("/my/proposals/<reference>/withdraw", methods=["GET", "POST"])
@applicant_required
def withdraw(reference: str):
    proposal = access.load_for_applicant(reference) or abort(404)
    if find_transition(proposal.state, State.WITHDRAWN) is None:
        flash(_l("この提案は現在の状況では取り下げられません。"), "error")
        return redirect(url_for("intake.status", reference=reference))
    form = WithdrawForm(lock_version=str(proposal.lock_version))
    error = None
    if form.validate_on_submit():
        version = str(form.lock_version.data or "")
        version = int(version) if version.isdigit() else None
        try:
            ops.withdraw(proposal, current_user, form.reason.data, expected_version=version)
        except TransitionError as refused:
            db.session.rollback()
            error = refused.message
        else:
            db.session.commit()
            flash(_l("提案を取り下げました。"), "success")
            return redirect(url_for("intake.status", reference=reference))
    return render_template("intake/withdraw.html", proposal=proposal, form=form, error=error)


@bp.route("/my/proposals/<reference>/groups/<int:group_id>/consent", methods=["POST"])
@applicant_required
def group_consent(reference: str, group_id: int):
    """Whether the other members of a group may see this organisation and be introduced to it."""
    proposal = access.load_for_applicant(reference) or abort(404)
    membership = next((m for m in memberships_of_proposal(proposal.id) if m.group_id == group_id), None)
    answer = request.form.get("consent")
    if membership is None or answer not in ("yes", "no") or not FlaskForm().validate_on_submit():
        abort(404 if membership is None else 400)
    group_ops.set_consent(membership, answer == "yes", Actor.of_user(current_user))
    db.session.commit()
    flash(_l("グループのほかの団体への紹介に同意しました。") if answer == "yes"
          else _l("グループのほかの団体には、あなたの団体名を表示しません。"), "success")
    return redirect(url_for("intake.status", reference=reference) + "#groups")


# --- files -------------------------------------------------------------------------------------------------

@bp.route("/attachments/<int:attachment_id>")
def download(attachment_id: int):
    """Only the organisation's members (or this browser's own anonymous
    draft) and staff who may see the proposal; 404 for everyone else."""
    attachment = db.session.scalar(
        sa.select(Attachment).join(Proposal, Proposal.id == Attachment.proposal_id)
        .where(Attachment.id == attachment_id, access.viewable_proposals_clause())
    )
    if attachment is None:
        if not current_user.is_authenticated and not access.anonymous_draft_ids():
            return redirect(url_for("auth.signin", next=request.path))
        abort(404)
    path = file_store.path_for(attachment.storage_key)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
