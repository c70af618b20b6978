"""The proposal form: starting (signed in or by email), the steps with
autosave and files, saving for later, review and submission."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from core.audit import Actor
from core.auth import applicant_required, issue_signin_link
from core.calendar import to_local
from core.columns import utcnow
from core.extensions import db, limiter
from core.models import Role
from intake import access
from intake import operations as ops
from intake.forms import (
    EXIT_STRATEGIES,
    FILE_STEP,
    ORGANISATION_KINDS,
    PARTNER_LABELS,
    SCOPES,
    STAGES,
    STEP_COUNT,
    STEPS,
    SUPPORT_LABELS,
    ChooseOrganisationForm,
    ReviewForm,
    StartForm,
    as_choices,
)
from intake.step_forms import form_for_display, make_form, raw_from_request, save_ids, step_problems
from intake.views import account_key, actor_for, applicant_user, bp, checked_uploads, client_key, email_key, triage_by
from proposals.audiences import open_for_partners
from proposals.models import Attachment, Proposal, State
from proposals.operations import TransitionError
from search.pages import similar_published

_SAVE_ID = re.compile(r"[0-9a-f]{8,40}")  # the script's ids; the server's own start with "s"


def _claim_if_possible(proposal: Proposal) -> None:
    user = applicant_user()
    if user is not None and proposal.created_by_id is None and proposal.state == State.DRAFT:
        ops.claim_draft(proposal, user)
        db.session.commit()


def _step_url(draft_id: int, step: int) -> str:
    """Takes the id, not the proposal: after a commit, reading proposal.id would reload the row."""
    if step > STEP_COUNT:
        return url_for("intake.review", draft_id=draft_id)
    return url_for("intake.step", draft_id=draft_id, step=step)


def _draft_attachments(proposal: Proposal) -> list[Attachment]:
    return db.session.scalars(sa.select(Attachment).where(
        Attachment.proposal_id == proposal.id, Attachment.message_id.is_(None)).order_by(Attachment.id)).all()


# --- starting ---------------------------------------------------------------------------------------------

@bp.route("/proposals/new", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], key_func=client_key)
@limiter.limit("5 per hour", methods=["POST"], key_func=email_key)
def start():
    if current_user.is_authenticated and current_user.role != Role.APPLICANT:
        return render_template("intake/start_staff.html")
    user = applicant_user()
    if user is None:
        return _start_anonymous()
    organisations = sorted((m.organisation for m in user.memberships), key=lambda o: o.id)
    form = ChooseOrganisationForm()
    form.organisation.choices = as_choices([(o.id, o.name) for o in organisations] + [("new", _l("新しい団体として提案する"))])
    if not organisations:
        form.organisation.data = form.organisation.data or "new"
    if form.validate_on_submit():
        organisation = None
        if form.organisation.data != "new":
            organisation = next((o for o in organisations if str(o.id) == form.organisation.data), None)
            if organisation is None:
                abort(400)
        draft_id = ops.create_draft(Actor.of_user(user), user=user, organisation=organisation).id
        db.session.commit()
        return redirect(_step_url(draft_id, 1))
    drafts = db.session.scalars(sa.select(Proposal).where(
        Proposal.state == State.DRAFT, access.applicant_proposals_clause(user)).order_by(Proposal.updated_at.desc())).all()
    return render_template("intake/start.html", form=form, drafts=drafts, organisations=organisations,
                           steps=STEPS)


def _start_anonymous():
    form = StartForm()
    if form.validate_on_submit():
        if form.website.data:  # honeypot: behave as if it worked, do nothing
            return redirect(url_for("intake.start"))
        email = form.email.data
        proposal = ops.create_draft(ops.anonymous_actor(email), owner_email=email)
        issue_signin_link(email, url_for("intake.resume", draft_id=proposal.id))
        db.session.commit()
        access.remember_anonymous_draft(proposal.id)
        flash(_l("%(email)s に、続きを書くためのリンクをお送りしました。このまま入力を続けられます。入力内容は「次へ」を押すたびに保存されます。",
                 email=email), "success")
        return redirect(_step_url(proposal.id, 1))
    drafts = []
    if access.anonymous_draft_ids():
        drafts = db.session.scalars(sa.select(Proposal).where(access.viewable_proposals_clause())).all()
    return render_template("intake/start.html", form=form, drafts=drafts, organisations=[], steps=STEPS)


@bp.route("/proposals/<int:draft_id>/resume")
def resume(draft_id: int):
    """Where the emailed link lands: continue at the step last saved."""
    user = applicant_user()
    if user is not None:
        candidate = db.session.get(Proposal, draft_id)
        if (candidate is not None and candidate.state == State.DRAFT and candidate.created_by_id is None
                and (candidate.draft_data or {}).get("owner_email") == user.email):
            ops.claim_draft(candidate, user)
            db.session.commit()
    proposal = access.load_editable_draft(draft_id)
    if proposal is None:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.signin", next=request.path))
        submitted = access.load_viewable(draft_id)
        if submitted is not None and submitted.reference:
            return redirect(url_for("intake.status", reference=submitted.reference))
        abort(404)
    _claim_if_possible(proposal)
    saved = (proposal.draft_data or {}).get("steps") or {}
    if all(str(n) in saved for n, *_ in STEPS if n != FILE_STEP) and proposal.draft_step >= FILE_STEP:
        return redirect(url_for("intake.review", draft_id=proposal.id))
    return redirect(_step_url(proposal.id, proposal.draft_step or 1))


# --- the steps ----------------------------------------------------------------------------------------------

@bp.route("/proposals/<int:draft_id>/step/<int:step>", methods=["GET", "POST"])
def step(draft_id: int, step: int):
    proposal = access.load_editable_draft(draft_id)
    if proposal is None:  # submitted meanwhile (another tab), or not theirs
        return resume(draft_id)
    if not 1 <= step <= STEP_COUNT:
        abort(404)
    _claim_if_possible(proposal)
    if step == FILE_STEP:
        return _files_step(proposal)
    back_to_review = request.args.get("from") == "review"
    if request.method == "POST":
        form = make_form(step)
        raw = raw_from_request(form)
        action = request.form.get("action", "next")
        valid = form.validate()
        proposal.draft_step = max(proposal.draft_step or 1, step if not valid else step + 1)  # in save_step's UPDATE
        ops.save_step(proposal, step, raw, form if valid else None, actor_for(proposal), user=applicant_user())
        db.session.commit()
        if action == "back":
            return redirect(_step_url(draft_id, max(step - 1, 1)))
        if action == "later":
            return redirect(url_for("intake.saved", draft_id=draft_id))
        if valid:
            return redirect(url_for("intake.review", draft_id=draft_id) if back_to_review
                            else _step_url(draft_id, step + 1))
        status = 200
    else:
        form = form_for_display(proposal, step)
        status = 200
    return render_template(f"intake/step_{STEPS[step - 1][1]}.html", form=form, proposal=proposal, step=step,
                           steps=STEPS, back_to_review=back_to_review, save_ids=save_ids(proposal),
                           scopes=SCOPES, stages=STAGES, exit_strategies=EXIT_STRATEGIES,
                           support_labels=SUPPORT_LABELS), status


@bp.route("/proposals/<int:draft_id>/step/<int:step>/autosave", methods=["POST"])
@limiter.limit("600 per hour", key_func=account_key)
def autosave(draft_id: int, step: int):
    """Called by static/js/intake-autosave.js a moment after typing stops and
    when the page is left: the step's fields as typed, kept whatever the
    validation says (no errors are shown; the buttons do that). As with the
    buttons, a complete and valid step is also applied to the proposal, so
    the review and the submission see what the step page shows. The same
    ownership check as the step; CSRF protected like every POST."""
    proposal = access.load_editable_draft(draft_id)
    if proposal is None or not 1 <= step <= STEP_COUNT or step == FILE_STEP:
        return {"ok": False, "error": "not_found"}, 404
    # A button save is newer than anything a page posts that has not seen it
    # (an autosave still on its way when the button was pressed, another tab).
    base = request.form.get("autosave_base")
    current = save_ids(proposal).get(str(step), "")
    if base is not None and current.startswith("s") and current != base:
        return {"ok": False, "error": "conflict"}, 409
    form = make_form(step)
    raw = raw_from_request(form)
    valid = form.validate()
    given = request.form.get("autosave_id", "")
    save_id = given if _SAVE_ID.fullmatch(given) else None
    ops.save_step(proposal, step, raw, form if valid else None, actor_for(proposal), user=applicant_user(), save_id=save_id)
    proposal.draft_step = max(proposal.draft_step or 1, step)
    db.session.commit()
    return {"ok": True, "saved_at": to_local(utcnow()).strftime("%H:%M"), "save_id": save_ids(proposal)[str(step)]}


def _files_step(proposal: Proposal, errors: list[str] | None = None, status: int = 200):
    if request.method == "POST":
        checked, errors = checked_uploads()
        if not errors and checked:
            try:
                ops.add_attachments(proposal, checked, actor_for(proposal), uploaded_by=applicant_user())
            except ops.IntakeError as refused:
                errors = [str(refused.message)]
                db.session.rollback()
        if not errors:
            proposal.draft_step = max(proposal.draft_step or 1, FILE_STEP + (request.form.get("action") == "next"))
            draft_id = proposal.id
            db.session.commit()
            if request.form.get("action") == "next":
                return redirect(url_for("intake.review", draft_id=draft_id))
            if checked:
                flash(_l("%(count)d個のファイルを追加しました。", count=len(checked)), "success")
            return redirect(_step_url(draft_id, FILE_STEP))
        status = 400
    return render_template("intake/step_files.html", proposal=proposal, step=FILE_STEP, steps=STEPS,
                           save_ids=save_ids(proposal),
                           attachments=_draft_attachments(proposal), errors=errors or [],
                           max_files=current_app.config["MAX_ATTACHMENTS"],
                           max_mb=current_app.config["MAX_ATTACHMENT_BYTES"] // (1024 * 1024),
                           max_bytes=current_app.config["MAX_ATTACHMENT_BYTES"]), status


@bp.route("/proposals/<int:draft_id>/files/<int:attachment_id>/delete", methods=["POST"])
def delete_file(draft_id: int, attachment_id: int):
    proposal = access.load_editable_draft(draft_id) or abort(404)
    attachment = db.session.scalar(sa.select(Attachment).where(
        Attachment.id == attachment_id, Attachment.proposal_id == proposal.id)) or abort(404)
    ops.remove_attachment(attachment, proposal, actor_for(proposal))
    db.session.commit()
    flash(_l("「%(name)s」を削除しました。", name=attachment.filename), "success")
    return redirect(_step_url(proposal.id, FILE_STEP))


@bp.route("/proposals/<int:draft_id>/saved", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"], key_func=client_key)
@limiter.limit("5 per hour", methods=["POST"], key_func=account_key)
def saved(draft_id: int):
    """「保存して中断」: the draft is on the server; the link comes by email."""
    proposal = access.load_editable_draft(draft_id) or abort(404)
    email = applicant_user().email if applicant_user() is not None else (proposal.draft_data or {}).get("owner_email")
    if request.method == "POST" and email:
        if FlaskForm().validate_on_submit():
            issue_signin_link(email, url_for("intake.resume", draft_id=proposal.id))
            db.session.commit()
            flash(_l("%(email)s に、続きを書くためのリンクをお送りしました。", email=email), "success")
        return redirect(url_for("intake.saved", draft_id=proposal.id))
    return render_template("intake/saved.html", proposal=proposal, email=email)


# --- review and submit -------------------------------------------------------------------------------------

def _review_context(proposal: Proposal) -> dict:
    locale = str(get_locale() or "ja")
    return dict(
        proposal=proposal, steps=STEPS, problems=step_problems(proposal), attachments=_draft_attachments(proposal),
        kinds=dict(ORGANISATION_KINDS), scopes={v: label for v, label, _ in SCOPES},
        stages={v: label for v, label, _ in STAGES}, exits={v: label for v, label, _ in EXIT_STRATEGIES},
        support_labels=SUPPORT_LABELS, partner_labels=PARTNER_LABELS, locale=locale,
        owner_email=(proposal.draft_data or {}).get("owner_email"), save_ids=save_ids(proposal),
        similar=[(found, open_for_partners(found.proposal)) for found in similar_published(proposal)],
    )


@bp.route("/proposals/<int:draft_id>/review", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], key_func=client_key)
@limiter.limit("10 per day", methods=["POST"], key_func=account_key)
def review(draft_id: int):
    proposal = access.load_editable_draft(draft_id)
    if proposal is None:  # e.g. submitted already (a second click, the back button)
        return resume(draft_id)
    _claim_if_possible(proposal)
    form = ReviewForm()
    if form.validate_on_submit():
        if form.website.data:  # honeypot: look like success, change nothing
            return redirect(url_for("intake.my_proposals" if applicant_user() else "intake.start"))
        user = applicant_user()
        if user is None:
            flash(_l("提出の前に、メールアドレスの確認が必要です。お送りしたメールのリンクを開いてください。"), "error")
            return render_template("intake/review.html", form=form, **_review_context(proposal)), 400
        if step_problems(proposal):
            return render_template("intake/review.html", form=form, **_review_context(proposal)), 400
        try:
            ops.submit_proposal(proposal, user, consent_publish=form.consent_publish.data)
        except TransitionError as refused:
            db.session.rollback()
            flash(refused.message, "error")
            return redirect(url_for("intake.my_proposals"))
        reference = proposal.reference  # read before the commit expires the row
        db.session.commit()
        return redirect(url_for("intake.submitted", reference=reference))
    status = 400 if form.errors else 200
    # The page's context (similar proposals among it) only when the page is shown: a submission does not need it.
    return render_template("intake/review.html", form=form, **_review_context(proposal)), status


@bp.route("/my/proposals/<reference>/submitted")
@applicant_required
def submitted(reference: str):
    proposal = access.load_for_applicant(reference) or abort(404)
    return render_template("intake/submitted.html", proposal=proposal, triage_by=triage_by(proposal.submitted_at))
