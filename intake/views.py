"""Applicant pages. Views are thin: load (permission in the query), validate,
call one operation, commit once, render or redirect."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from core.audit import Actor
from core.auth import applicant_required, issue_signin_link
from core.calendar import BusinessCalendar, to_local
from core.extensions import db, limiter
from core.models import Department, DepartmentKind, Event, Membership, Organisation, Role, Theme, User, utcnow
from intake import access
from intake import files as file_store
from intake import normalise as n
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
    AnswerForm,
    ChooseOrganisationForm,
    InviteForm,
    MessageForm,
    ReviewForm,
    SettingsForm,
    StartForm,
    WithdrawForm,
    as_choices,
)
from intake.models import Invitation
from intake.notifications import wants
from intake.texts import NEXT_STEPS, describe_event
from proposals.lifecycle import PublicState, find_transition, public_state
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, Attachment, Message, Proposal, State
from proposals.operations import TransitionError

bp = Blueprint("intake", __name__)

TRIAGE_BUSINESS_DAYS = 5


# --- rate limit keys --------------------------------------------------------------------------------

def _client_key() -> str:
    return "intake-client:" + (get_remote_address() or "")


def _email_key() -> str:
    """Per person: a signed-in user by their id (they post no address),
    a visitor by the address they give; never one counter for everybody."""
    from core.forms import normalise_email

    if current_user.is_authenticated:
        return f"intake-user:{current_user.id}"
    email = normalise_email(request.form.get("email"))
    return "intake-email:" + (email or "client:" + (get_remote_address() or ""))


def _account_key() -> str:
    if current_user.is_authenticated:
        return "intake-account:" + current_user.email
    drafts = access.anonymous_draft_ids()
    return "intake-anon:" + (",".join(map(str, drafts)) or get_remote_address() or "")


# --- errors -----------------------------------------------------------------------------------------------

@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """Never a bare 413: back to the page the upload came from, with a note."""
    mb = current_app.config["MAX_ATTACHMENT_BYTES"] // (1024 * 1024)
    flash(_l("ファイルが大きすぎるため、送信できませんでした。1つのファイルは%(mb)sMBまで、一度に送れるのは合計%(total)sMBまでです。ファイルを小さくするか、分けて送ってください。",
             mb=mb, total=(current_app.config["MAX_CONTENT_LENGTH"] or 0) // (1024 * 1024)), "error")
    args = request.view_args or {}
    if "draft_id" in args:
        return redirect(url_for("intake.step", draft_id=args["draft_id"], step=FILE_STEP), 303)
    if "reference" in args:
        return redirect(url_for("intake.status", reference=args["reference"]), 303)
    return redirect(url_for("intake.my_proposals"), 303)


def _checked_uploads(field: str = "files") -> tuple[list[file_store.CheckedFile], list[str]]:
    checked, errors = [], []
    for upload in request.files.getlist(field):
        if not upload or not upload.filename:
            continue
        try:
            checked.append(file_store.check_upload(upload))
        except file_store.FileRejected as rejected:
            errors.append(str(rejected.message))
    return checked, errors


# --- helpers --------------------------------------------------------------------------------------------

def _user() -> User | None:
    return current_user if current_user.is_authenticated and current_user.role == Role.APPLICANT else None


def _actor(proposal: Proposal) -> Actor:
    user = _user()
    if user is not None:
        return Actor.of_user(user)
    return ops.anonymous_actor((proposal.draft_data or {}).get("owner_email") or "?")


def _choices():
    locale = str(get_locale() or "ja")
    wards = db.session.scalars(sa.select(Department).where(
        Department.kind == DepartmentKind.WARD, Department.active).order_by(Department.id)).all()
    themes = db.session.scalars(sa.select(Theme).where(Theme.active).order_by(Theme.position)).all()
    return (as_choices((w.code, w.area_name(locale)) for w in wards),
            as_choices((t.code, t.name(locale)) for t in themes))


def _make_form(step: int, **kwargs):
    form = STEPS[step - 1][3](**kwargs)
    if step == 4:
        form.wards.choices, form.themes.choices = _choices()
    return form


def _raw_from_request(form) -> dict:
    raw = {}
    for field in form:
        if field.name in ("csrf_token",):
            continue
        if field.type in ("MultiCheckboxField", "SelectMultipleField"):
            raw[field.name] = [n.strip_controls(v)[:200] for v in request.form.getlist(field.name)][:50]
        else:
            raw[field.name] = n.strip_controls(request.form.get(field.name, ""))[:20000]
    return raw


def _multidict(raw: dict) -> MultiDict:
    items = []
    for key, value in raw.items():
        if isinstance(value, list):
            items.extend((key, v) for v in value)
        elif value not in (None, ""):
            items.append((key, value))
    return MultiDict(items)


def _initial(proposal: Proposal, step: int) -> dict:
    org = proposal.organisation
    if step == 1:
        if org is None:
            return {}
        return dict(name=org.name, name_kana=org.name_kana, kind=org.kind.value, corporate_number=org.corporate_number,
                    representative=org.representative, postal_code=org.postal_code, address=org.address,
                    phone=org.phone, website=org.website, founded_year=org.founded_year, member_count=org.member_count)
    if step == 2:
        return dict(contact_name=proposal.contact_name, contact_email=proposal.contact_email,
                    contact_phone=proposal.contact_phone, past_collaboration=proposal.past_collaboration)
    if step == 3:
        return {k: getattr(proposal, k) for k in ("title", "summary", "issue", "activities", "outcomes")}
    if step == 4:
        return dict(scope=proposal.scope.value if proposal.scope else None, wards=proposal.ward_codes,
                    themes=proposal.theme_codes, stage=proposal.stage.value if proposal.stage else None)
    if step == 5:
        return dict(support_requested=proposal.support_requested, partners_wanted=proposal.partners_wanted,
                    budget_total=proposal.budget_total_yen, budget_requested=proposal.budget_requested_yen,
                    period_start=proposal.period_start, period_end=proposal.period_end,
                    exit_strategy=proposal.exit_strategy.value if proposal.exit_strategy else None,
                    exit_note=proposal.exit_note)
    return {}


def _saved_raw(proposal: Proposal, step: int) -> dict | None:
    return ((proposal.draft_data or {}).get("steps") or {}).get(str(step))


def _form_for_display(proposal: Proposal, step: int):
    raw = _saved_raw(proposal, step)
    if raw is not None:
        form = _make_form(step, formdata=_multidict(raw))
    else:
        form = _make_form(step, data=_initial(proposal, step))
    return form


def step_problems(proposal: Proposal) -> dict[int, list[tuple[str, str, str]]]:
    """Re-check every saved step: {step: [(field id, label, message)]}."""
    problems: dict[int, list[tuple[str, str, str]]] = {}
    for number, _key, _title, _cls in STEPS:
        if number == FILE_STEP:
            continue
        raw = _saved_raw(proposal, number)
        if raw is None:
            problems[number] = [("", "", str(_l("まだ入力されていません。")))]
            continue
        form = _make_form(number, formdata=_multidict(raw), meta={"csrf": False})
        if not form.validate():
            problems[number] = [(f.id, str(f.label.text), str(f.errors[0])) for f in form if f.errors]
    return problems


def _claim_if_possible(proposal: Proposal) -> None:
    user = _user()
    if user is not None and proposal.created_by_id is None and proposal.state == State.DRAFT:
        ops.claim_draft(proposal, user)
        db.session.commit()


def _step_url(proposal: Proposal, step: int) -> str:
    if step > STEP_COUNT:
        return url_for("intake.review", draft_id=proposal.id)
    return url_for("intake.step", draft_id=proposal.id, step=step)


def _draft_attachments(proposal: Proposal) -> list[Attachment]:
    return db.session.scalars(sa.select(Attachment).where(
        Attachment.proposal_id == proposal.id, Attachment.message_id.is_(None)).order_by(Attachment.id)).all()




# --- starting ---------------------------------------------------------------------------------------------

@bp.route("/proposals/new", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], key_func=_client_key)
@limiter.limit("5 per hour", methods=["POST"], key_func=_email_key)
def start():
    if current_user.is_authenticated and current_user.role != Role.APPLICANT:
        return render_template("intake/start_staff.html")
    user = _user()
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
        proposal = ops.create_draft(Actor.of_user(user), user=user, organisation=organisation)
        db.session.commit()
        return redirect(_step_url(proposal, 1))
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
        return redirect(_step_url(proposal, 1))
    drafts = []
    if access.anonymous_draft_ids():
        drafts = db.session.scalars(sa.select(Proposal).where(access.viewable_proposals_clause())).all()
    return render_template("intake/start.html", form=form, drafts=drafts, organisations=[], steps=STEPS)


@bp.route("/proposals/<int:draft_id>/resume")
def resume(draft_id: int):
    """Where the emailed link lands: continue at the step last saved."""
    user = _user()
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
    return redirect(_step_url(proposal, proposal.draft_step or 1))


# --- the steps ----------------------------------------------------------------------------------------------

def save_ids(proposal: Proposal) -> dict[str, str]:
    """The id of each step's last save (see ops.save_step), for the autosave script."""
    return dict((proposal.draft_data or {}).get("save_ids") or {})


_SAVE_ID = re.compile(r"[0-9a-f]{8,40}")  # the script's ids; the server's own start with "s"


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
        form = _make_form(step)
        raw = _raw_from_request(form)
        action = request.form.get("action", "next")
        valid = form.validate()
        ops.save_step(proposal, step, raw, form if valid else None, _actor(proposal), user=_user())
        proposal.draft_step = max(proposal.draft_step or 1, step if not valid else step + 1)
        db.session.commit()
        if action == "back":
            return redirect(_step_url(proposal, max(step - 1, 1)))
        if action == "later":
            return redirect(url_for("intake.saved", draft_id=proposal.id))
        if valid:
            return redirect(url_for("intake.review", draft_id=proposal.id) if back_to_review
                            else _step_url(proposal, step + 1))
        status = 200
    else:
        form = _form_for_display(proposal, step)
        status = 200
    return render_template(f"intake/step_{STEPS[step - 1][1]}.html", form=form, proposal=proposal, step=step,
                           steps=STEPS, back_to_review=back_to_review, save_ids=save_ids(proposal),
                           scopes=SCOPES, stages=STAGES, exit_strategies=EXIT_STRATEGIES,
                           support_labels=SUPPORT_LABELS), status


@bp.route("/proposals/<int:draft_id>/step/<int:step>/autosave", methods=["POST"])
@limiter.limit("600 per hour", key_func=_account_key)
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
    form = _make_form(step)
    raw = _raw_from_request(form)
    valid = form.validate()
    given = request.form.get("autosave_id", "")
    save_id = given if _SAVE_ID.fullmatch(given) else None
    ops.save_step(proposal, step, raw, form if valid else None, _actor(proposal), user=_user(), save_id=save_id)
    proposal.draft_step = max(proposal.draft_step or 1, step)
    db.session.commit()
    return {"ok": True, "saved_at": to_local(utcnow()).strftime("%H:%M"), "save_id": save_ids(proposal)[str(step)]}


@bp.errorhandler(CSRFError)
def csrf_expired(error):
    """The form's token is gone (the session expired, or the person signed
    out in another tab). Nothing is saved without it, but nothing is lost
    either: the autosave keeps the server copy current while typing, and the
    script keeps what it could not send in the browser until it can. Say so,
    and lead back to the page."""
    if request.endpoint == "intake.autosave":
        return {"ok": False, "error": "csrf"}, 400
    args = request.view_args or {}
    back = None
    if request.endpoint == "intake.step":
        back = url_for("intake.step", draft_id=args["draft_id"], step=args["step"])
    elif "draft_id" in args:
        back = url_for("intake.resume", draft_id=args["draft_id"])
    return render_template("intake/expired.html", back=back), 400


def _files_step(proposal: Proposal, errors: list[str] | None = None, status: int = 200):
    if request.method == "POST":
        checked, errors = _checked_uploads()
        if not errors and checked:
            try:
                ops.add_attachments(proposal, checked, _actor(proposal), uploaded_by=_user())
            except ops.IntakeError as refused:
                errors = [str(refused.message)]
                db.session.rollback()
        if not errors:
            proposal.draft_step = max(proposal.draft_step or 1, FILE_STEP + (request.form.get("action") == "next"))
            db.session.commit()
            if request.form.get("action") == "next":
                return redirect(url_for("intake.review", draft_id=proposal.id))
            if checked:
                flash(_l("%(count)d個のファイルを追加しました。", count=len(checked)), "success")
            return redirect(_step_url(proposal, FILE_STEP))
        status = 400
    return render_template("intake/step_files.html", proposal=proposal, step=FILE_STEP, steps=STEPS,
                           save_ids=save_ids(proposal),
                           attachments=_draft_attachments(proposal), errors=errors or [],
                           max_files=current_app.config["MAX_ATTACHMENTS"],
                           max_mb=current_app.config["MAX_ATTACHMENT_BYTES"] // (1024 * 1024),
                           max_bytes=current_app.config["MAX_ATTACHMENT_BYTES"], human_size=file_store.human_size), status


@bp.route("/proposals/<int:draft_id>/files/<int:attachment_id>/delete", methods=["POST"])
def delete_file(draft_id: int, attachment_id: int):
    proposal = access.load_editable_draft(draft_id) or abort(404)
    attachment = db.session.scalar(sa.select(Attachment).where(
        Attachment.id == attachment_id, Attachment.proposal_id == proposal.id)) or abort(404)
    ops.remove_attachment(attachment, proposal, _actor(proposal))
    db.session.commit()
    flash(_l("「%(name)s」を削除しました。", name=attachment.filename), "success")
    return redirect(_step_url(proposal, FILE_STEP))


@bp.route("/proposals/<int:draft_id>/saved", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"], key_func=_client_key)
@limiter.limit("5 per hour", methods=["POST"], key_func=_account_key)
def saved(draft_id: int):
    """「保存して中断」: the draft is on the server; the link comes by email."""
    proposal = access.load_editable_draft(draft_id) or abort(404)
    email = _user().email if _user() is not None else (proposal.draft_data or {}).get("owner_email")
    if request.method == "POST" and email:
        from flask_wtf import FlaskForm

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
        human_size=file_store.human_size,
        owner_email=(proposal.draft_data or {}).get("owner_email"), save_ids=save_ids(proposal),
    )


@bp.route("/proposals/<int:draft_id>/review", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], key_func=_client_key)
@limiter.limit("10 per day", methods=["POST"], key_func=_account_key)
def review(draft_id: int):
    proposal = access.load_editable_draft(draft_id)
    if proposal is None:  # e.g. submitted already (a second click, the back button)
        return resume(draft_id)
    _claim_if_possible(proposal)
    form = ReviewForm()
    context = _review_context(proposal)
    if form.validate_on_submit():
        if form.website.data:  # honeypot: look like success, change nothing
            return redirect(url_for("intake.my_proposals" if _user() else "intake.start"))
        user = _user()
        if user is None:
            flash(_l("提出の前に、メールアドレスの確認が必要です。お送りしたメールのリンクを開いてください。"), "error")
            return render_template("intake/review.html", form=form, **context), 400
        if context["problems"]:
            return render_template("intake/review.html", form=form, **context), 400
        try:
            ops.submit_proposal(proposal, user, consent_publish=form.consent_publish.data)
        except TransitionError as refused:
            db.session.rollback()
            flash(refused.message, "error")
            return redirect(url_for("intake.my_proposals"))
        db.session.commit()
        return redirect(url_for("intake.submitted", reference=proposal.reference))
    status = 400 if form.errors else 200
    return render_template("intake/review.html", form=form, **context), status


@bp.route("/my/proposals/<reference>/submitted")
@applicant_required
def submitted(reference: str):
    proposal = access.load_for_applicant(reference) or abort(404)
    calendar = BusinessCalendar.from_database()
    received_on = to_local(proposal.submitted_at).date() if proposal.submitted_at else None
    triage_by = calendar.add_business_days(received_on, TRIAGE_BUSINESS_DAYS) if received_on else None
    return render_template("intake/submitted.html", proposal=proposal, triage_by=triage_by)


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
    calendar = BusinessCalendar.from_database()
    triage_by = None
    if state == PublicState.RECEIVED and proposal.submitted_at:
        triage_by = calendar.add_business_days(to_local(proposal.submitted_at).date(), TRIAGE_BUSINESS_DAYS)
    departments = {d.id: d for d in db.session.scalars(sa.select(Department))}
    return render_template(
        "intake/status.html", proposal=proposal, state=state, next_step=NEXT_STEPS[state], lead=lead,
        assignments=assignments, events=events, describe_event=describe_event, departments=departments,
        roots=children.get(None, []), children=children, by_message=by_message, info_request=info_request,
        triage_by=triage_by, merged_into=db.session.get(Proposal, proposal.merged_into_id)
        if proposal.merged_into_id else None, message_form=message_form or MessageForm(formdata=None),
        answer_form=answer_form or AnswerForm(formdata=None), errors=errors or [],
        can_withdraw=find_transition(proposal.state, State.WITHDRAWN) is not None,
        can_message=proposal.state not in (State.DRAFT, State.MERGED, State.WITHDRAWN),
        human_size=file_store.human_size, locale=locale, max_files=current_app.config["MAX_ATTACHMENTS"],
        max_bytes=current_app.config["MAX_ATTACHMENT_BYTES"],
    ), status


@bp.route("/my/proposals/<reference>")
@applicant_required
def status(reference: str):
    proposal = access.load_for_applicant(reference) or abort(404)
    return _render_status(proposal)


@bp.route("/my/proposals/<reference>/messages", methods=["POST"])
@applicant_required
@limiter.limit("30 per hour", key_func=_account_key)
def post_message(reference: str):
    proposal = access.load_for_applicant(reference) or abort(404)
    form = MessageForm()
    checked, errors = _checked_uploads()
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
@limiter.limit("30 per hour", key_func=_account_key)
def answer(reference: str):
    proposal = access.load_for_applicant(reference) or abort(404)
    form = AnswerForm()
    checked, errors = _checked_uploads()
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


# --- organisation members ----------------------------------------------------------------------------------

@bp.route("/my/organisations/<int:organisation_id>/invite", methods=["GET", "POST"])
@applicant_required
@limiter.limit("20 per day", methods=["POST"], key_func=_account_key)
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
@limiter.limit("20 per hour", methods=["POST"], key_func=_client_key)
def accept_invitation(token: str):
    invitation = ops.find_invitation(token)
    if invitation is None:
        return render_template("intake/invitation_invalid.html"), 400
    if current_user.is_authenticated and current_user.email != invitation.email:
        return render_template("intake/invitation_other_account.html", invitation=invitation), 409
    if request.method == "POST":
        from flask_wtf import FlaskForm

        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            user = ops.accept_invitation(invitation, _user())
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
        from flask import session

        session["lang"] = current_user.locale
        flash(_l("設定を保存しました。"), "success")
        return redirect(url_for("intake.settings"))
    return render_template("intake/settings.html", form=form)

