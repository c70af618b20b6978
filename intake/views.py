"""Applicant pages. Views are thin: load (permission in the query), validate,
call one operation, commit once, render or redirect.

The blueprint "intake" and what its pages share live here; the pages are in
views_steps (the proposal form, review and submission), views_status (my
proposals, the status page, messages, answers, withdrawal, files) and
views_members (organisation members, invitations, settings)."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from core.audit import Actor
from core.calendar import BusinessCalendar, to_local
from core.forms import normalise_email
from core.models import Role, User
from intake import access
from intake import files as file_store
from intake import operations as ops
from intake.forms import FILE_STEP
from proposals.models import Proposal

bp = Blueprint("intake", __name__)


# --- rate limit keys --------------------------------------------------------------------------------

def client_key() -> str:
    return "intake-client:" + (get_remote_address() or "")


def email_key() -> str:
    """Per person: a signed-in user by their id (they post no address),
    a visitor by the address they give; never one counter for everybody."""
    if current_user.is_authenticated:
        return f"intake-user:{current_user.id}"
    email = normalise_email(request.form.get("email"))
    return "intake-email:" + (email or "client:" + (get_remote_address() or ""))


def account_key() -> str:
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


def checked_uploads(field: str = "files") -> tuple[list[file_store.CheckedFile], list[str]]:
    checked, errors = [], []
    for upload in request.files.getlist(field):
        if not upload or not upload.filename:
            continue
        try:
            checked.append(file_store.check_upload(upload))
        except file_store.FileRejected as rejected:
            errors.append(str(rejected.message))
    return checked, errors


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


# --- helpers --------------------------------------------------------------------------------------------

def applicant_user() -> User | None:
    return current_user if current_user.is_authenticated and current_user.role == Role.APPLICANT else None


def actor_for(proposal: Proposal) -> Actor:
    user = applicant_user()
    if user is not None:
        return Actor.of_user(user)
    return ops.anonymous_actor((proposal.draft_data or {}).get("owner_email") or "?")


def triage_by(submitted_at: datetime | None, calendar: BusinessCalendar | None = None) -> date | None:
    """The date applicants are told the window will have routed their
    proposal by: TRIAGE_BUSINESS_DAYS (the window's allowance, the same the
    sweep chases) business days after the day it arrived."""
    if submitted_at is None:
        return None
    calendar = calendar or BusinessCalendar.from_database()
    return calendar.add_business_days(to_local(submitted_at).date(), int(current_app.config["TRIAGE_BUSINESS_DAYS"]))
