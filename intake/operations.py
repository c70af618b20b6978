"""Operations of the intake room. Each takes the actor explicitly, flushes
(never commits) and writes an audit event; the view commits once."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.audit import Actor, record_event
from core.columns import utcnow
from core.extensions import db
from core.models import Department, DepartmentKind, Membership, Organisation, OrganisationKind, Role, Theme, User
from core.outbox import queue_templated_email
from core.urls import app_path
from intake import files as file_store
from intake.models import Invitation
from proposals import operations as proposal_ops
from proposals.models import Attachment, Message, Proposal, ProposalTheme, ProposalWard, State
from proposals.visibility import CURRENT_CONSENT_VERSION

INVITATION_DAYS = 7


class IntakeError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def anonymous_actor(email: str) -> Actor:
    return Actor.system(f"anonymous applicant ({email})")


# --- drafts --------------------------------------------------------------------------------------

def create_draft(actor: Actor, *, user: User | None = None, owner_email: str | None = None,
                 organisation: Organisation | None = None) -> Proposal:
    """A new draft, either for a signed-in applicant or for an email address
    given before signing in (the emailed link claims it later)."""
    email = user.email if user is not None else owner_email
    proposal = Proposal(state=State.DRAFT, created_by=user, organisation=organisation, contact_email=email or "",
                        contact_name=(user.name if user is not None else "") or "", draft_step=1,
                        draft_data={"owner_email": email, "steps": {}})
    db.session.add(proposal)
    db.session.flush()
    record_event(actor, "draft_created", proposal_id=proposal.id,
                 data={"organisation_id": organisation.id if organisation else None})
    return proposal


def claim_draft(proposal: Proposal, user: User) -> None:
    """An anonymous draft becomes the signed-in applicant's (and their
    organisation's, when the draft created one)."""
    if proposal.created_by_id is not None or proposal.state != State.DRAFT:
        return
    proposal.created_by = user
    if proposal.organisation is not None and proposal.organisation_id not in user.organisation_ids():
        db.session.add(Membership(user=user, organisation=proposal.organisation))
    db.session.flush()
    record_event(Actor.of_user(user), "draft_claimed", proposal_id=proposal.id)


def save_step(proposal: Proposal, step: int, raw: dict[str, Any], form, actor: Actor, *, user: User | None,
              save_id: str | None = None) -> None:
    """Keep what was typed (always), and apply it when the step is valid.
    Used by the buttons and by the autosave alike. Each save of a step gets
    an id (`draft_data["save_ids"]`: the autosave script's own, or a new one
    for a button): the script compares it with the copy it keeps in the
    browser when a save could not reach the server."""
    data = dict(proposal.draft_data or {})
    steps = dict(data.get("steps") or {})
    steps[str(step)] = raw
    data["steps"] = steps
    data["save_ids"] = {**(data.get("save_ids") or {}), str(step): save_id or "s" + secrets.token_urlsafe(8)}
    proposal.draft_data = data
    proposal.updated_at = utcnow()
    if form is not None:
        before = _organisation_values(proposal.organisation) if step == 1 else None
        APPLY[step](proposal, form, user)
        if step == 1:
            _record_organisation_change(proposal, before, actor)
    db.session.flush()


ORGANISATION_FIELDS = ("name", "name_kana", "kind", "corporate_number", "representative", "postal_code", "address",
                       "city", "phone", "website", "founded_year", "member_count")


def _organisation_values(organisation: Organisation | None) -> dict[str, Any] | None:
    if organisation is None:
        return None
    return {name: getattr(organisation, name) for name in ORGANISATION_FIELDS}


def _record_organisation_change(proposal: Proposal, before: dict[str, Any] | None, actor: Actor) -> None:
    """The organisation record is shared by all its members' proposals: say
    who created or changed it, and which fields (not the values)."""
    organisation = proposal.organisation
    db.session.flush()
    if before is None:
        record_event(actor, "organisation_created", proposal_id=proposal.id,
                     data={"organisation_id": organisation.id})
        return
    after = _organisation_values(organisation)
    changed = [name for name in ORGANISATION_FIELDS if before[name] != after[name]]
    if changed:
        record_event(actor, "organisation_updated", proposal_id=proposal.id,
                     data={"organisation_id": organisation.id, "fields": changed})


def _city_of(address: str | None) -> str | None:
    if not address:
        return None
    match = re.match(r"^(?:東京都|北海道|京都府|大阪府|.{2,3}県)?(.+?市.+?区|.+?[市区町村])", address)
    if match is None or len(match.group(0)) > 200:  # organisations.city is VARCHAR(200)
        return None
    return match.group(0)


def _apply_organisation(proposal: Proposal, form, user: User | None) -> None:
    organisation = proposal.organisation
    if organisation is None:
        organisation = Organisation(name=form.name.data, kind=OrganisationKind(form.kind.data))
        db.session.add(organisation)
        if user is not None:
            organisation.memberships.append(Membership(user=user))
        proposal.organisation = organisation
        db.session.flush()
    organisation.name = form.name.data
    organisation.name_kana = form.name_kana.data or None
    organisation.kind = OrganisationKind(form.kind.data)
    organisation.corporate_number = form.corporate_number.data
    organisation.representative = form.representative.data or None
    organisation.postal_code = form.postal_code.data
    organisation.address = form.address.data or None
    organisation.city = _city_of(form.address.data) or organisation.city
    organisation.phone = form.phone.data
    organisation.website = form.website.data
    organisation.founded_year = form.founded_year.data
    organisation.member_count = form.member_count.data


def _apply_contact(proposal: Proposal, form, user: User | None) -> None:
    proposal.contact_name = form.contact_name.data
    proposal.contact_email = form.contact_email.data
    proposal.contact_phone = form.contact_phone.data or ""
    proposal.past_collaboration = form.past_collaboration.data or ""


def _apply_content(proposal: Proposal, form, user: User | None) -> None:
    for name in ("title", "summary", "issue", "activities", "outcomes"):
        setattr(proposal, name, getattr(form, name).data or "")


def _apply_area(proposal: Proposal, form, user: User | None) -> None:
    proposal.scope = form.scope.data
    proposal.stage = form.stage.data
    themes = {t.code: t for t in db.session.scalars(sa.select(Theme).where(Theme.code.in_(form.themes.data)))}
    proposal.theme_links = [ProposalTheme(theme=themes[code], position=i)
                            for i, code in enumerate(form.themes.data) if code in themes]
    wards = db.session.scalars(sa.select(Department).where(
        Department.code.in_(form.wards.data), Department.kind == DepartmentKind.WARD)).all()
    proposal.ward_links = [ProposalWard(ward=ward) for ward in wards]


def _apply_plan(proposal: Proposal, form, user: User | None) -> None:
    proposal.support_requested = list(form.support_requested.data)
    proposal.partners_wanted = list(form.partners_wanted.data)
    proposal.budget_total_yen = form.budget_total.data
    proposal.budget_requested_yen = form.budget_requested.data
    proposal.period_start = form.period_start.data
    proposal.period_end = form.period_end.data
    proposal.exit_strategy = form.exit_strategy.data
    proposal.exit_note = form.exit_note.data or ""


APPLY = {1: _apply_organisation, 2: _apply_contact, 3: _apply_content, 4: _apply_area, 5: _apply_plan}


# --- files -----------------------------------------------------------------------------------------

def add_attachments(proposal: Proposal, checked: list[file_store.CheckedFile], actor: Actor, *,
                    uploaded_by: User | None, message_id: int | None = None) -> list[Attachment]:
    limit = current_app.config["MAX_ATTACHMENTS"]
    existing = db.session.scalar(
        sa.select(sa.func.count()).select_from(Attachment).where(
            Attachment.proposal_id == proposal.id,
            Attachment.message_id.is_(None) if message_id is None else Attachment.message_id == message_id)
    ) or 0
    if existing + len(checked) > limit:
        raise IntakeError(_l("添付できるファイルは%(limit)d個までです（今は%(count)d個あります）。不要なファイルを削除してから追加してください。",
                             limit=limit, count=existing))
    added = []
    for item in checked:
        key, digest = file_store.store(item.data)
        attachment = Attachment(proposal_id=proposal.id, message_id=message_id, filename=item.filename,
                                content_type=item.content_type, size_bytes=len(item.data), sha256=digest,
                                storage_key=key, uploaded_by_id=uploaded_by.id if uploaded_by else None)
        db.session.add(attachment)
        added.append(attachment)
    db.session.flush()
    if added:
        record_event(actor, "attachment_added", proposal_id=proposal.id, public=proposal.state != State.DRAFT,
                     data={"attachments": [a.id for a in added], "filenames": [a.filename for a in added]})
    return added


def remove_attachment(attachment: Attachment, proposal: Proposal, actor: Actor) -> None:
    if proposal.state != State.DRAFT:
        raise IntakeError(_l("提出後のファイルは削除できません。"))
    key = attachment.storage_key
    db.session.delete(attachment)
    db.session.flush()
    record_event(actor, "attachment_removed", proposal_id=proposal.id, data={"filename": attachment.filename})
    file_store.remove(key)


# --- submitting --------------------------------------------------------------------------------------

def submit_proposal(proposal: Proposal, user: User, *, consent_publish: bool) -> None:
    """Consents recorded, reference given (by proposals.operations.submit,
    which also hands the proposal to routing) and the confirmation queued."""
    proposal.consent_privacy = True
    proposal.consent_publish = consent_publish
    # What the applicant agreed to publish: the fields this version of the consent text named.
    proposal.consent_version = CURRENT_CONSENT_VERSION if consent_publish else None
    if proposal.created_by_id is None:
        claim_draft(proposal, user)
    data = dict(proposal.draft_data or {})
    data.pop("steps", None)  # the columns hold the validated values now
    proposal.draft_data = data
    db.session.flush()
    proposal_ops.submit(proposal, Actor.of_user(user))
    link = app_path("intake.status", reference=proposal.reference)
    queue_templated_email(user.email, "intake_submitted", key=f"intake:submitted:{proposal.id}:{user.email}",
                          locale=user.locale or "ja", proposal_id=proposal.id, proposal=proposal, link=link)
    _tell_the_contact(proposal, user, link)


def _tell_the_contact(proposal: Proposal, submitter: User, link: str) -> None:
    """The contact address is typed into the form: anyone's address could be
    there, so the city would carry the applicant's text to a stranger. The
    confirmation (title and all) goes only to an address proven by a sign-in
    that belongs to the organisation; any other address gets a neutral note
    with nothing of the proposal in it."""
    email = proposal.contact_email
    if not email or email == submitter.email:
        return
    contact = db.session.scalar(sa.select(User).where(User.email == email, User.active))
    if contact is not None and (proposal.organisation_id in contact.organisation_ids()):
        queue_templated_email(email, "intake_submitted", key=f"intake:submitted:{proposal.id}:{email}",
                              locale=contact.locale or "ja", proposal_id=proposal.id, proposal=proposal, link=link)
        return
    queue_templated_email(email, "intake_contact_named", key=f"intake:contact-named:{proposal.id}:{email}",
                          locale=submitter.locale or "ja", proposal_id=proposal.id)


# --- after submitting ---------------------------------------------------------------------------------

def withdraw(proposal: Proposal, user: User, reason: str | None, *, expected_version: int | None):
    return proposal_ops.transition(proposal, State.WITHDRAWN, Actor.of_user(user), comment=reason,
                                   expected_version=expected_version)


def send_message(proposal: Proposal, user: User, body: str, checked: list[file_store.CheckedFile], *,
                 parent_id: int | None = None):
    if parent_id is not None:
        parent = db.session.get(Message, parent_id)
        if parent is None or parent.proposal_id != proposal.id or parent.internal:
            parent_id = None
    if proposal.state in (State.DRAFT, State.MERGED, State.WITHDRAWN):
        raise IntakeError(_l("この提案にはメッセージを送れません。"))
    actor = Actor.of_user(user)
    message = proposal_ops.post_message(proposal, actor, body, parent_id=parent_id)
    if checked:
        add_attachments(proposal, checked, actor, uploaded_by=user, message_id=message.id)
    return message


def answer(proposal: Proposal, user: User, body: str, checked: list[file_store.CheckedFile]):
    actor = Actor.of_user(user)
    event = proposal_ops.answer_info_request(proposal, actor, body)
    message_id = (event.data or {}).get("message_id")
    if checked and message_id:
        add_attachments(proposal, checked, actor, uploaded_by=user, message_id=message_id)
    return event


# --- members -------------------------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(organisation: Organisation, inviter: User, email: str) -> Invitation | None:
    """Email a one-time link to join. The same answer whether or not the
    address has an account; nothing is sent to staff addresses or to
    people who are members already."""
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    if existing is not None and (existing.role != Role.APPLICANT or organisation.id in existing.organisation_ids()):
        record_event(Actor.of_user(inviter), "invitation_skipped", data={"organisation_id": organisation.id})
        return None
    token = secrets.token_urlsafe(32)
    invitation = Invitation(organisation=organisation, email=email, token_hash=_digest(token), invited_by=inviter,
                            expires_at=utcnow() + timedelta(days=INVITATION_DAYS))
    db.session.add(invitation)
    db.session.flush()
    record_event(Actor.of_user(inviter), "invitation_sent",
                 data={"organisation_id": organisation.id, "invitation_id": invitation.id})
    locale = existing.locale if existing is not None else (inviter.locale or "ja")
    queue_templated_email(email, "intake_invitation", key=f"intake:invitation:{invitation.id}", locale=locale,
                          organisation=organisation, inviter=inviter, days=INVITATION_DAYS,
                          link=app_path("intake.accept_invitation", token=token))
    return invitation


def find_invitation(token: str) -> Invitation | None:
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == _digest(token)))
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= utcnow():
        return None
    return invitation


def accept_invitation(invitation: Invitation, user: User | None) -> User:
    """The link proves the address: the invitee joins (and is signed up)."""
    if user is None:
        user = db.session.scalar(sa.select(User).where(User.email == invitation.email))
    if user is None:
        user = User(email=invitation.email, role=Role.APPLICANT, locale=invitation.invited_by.locale or "ja")
        db.session.add(user)
        db.session.flush()
        record_event(Actor.of_user(user), "applicant_registered")
    if user.role != Role.APPLICANT or not user.active:
        raise IntakeError(_l("この招待は利用できません。"))
    if invitation.organisation_id not in user.organisation_ids():
        db.session.add(Membership(user=user, organisation_id=invitation.organisation_id))
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    db.session.flush()
    db.session.expire(user, ["memberships"])
    record_event(Actor.of_user(user), "invitation_accepted",
                 data={"organisation_id": invitation.organisation_id, "invitation_id": invitation.id})
    return user


def update_settings(user: User, *, public_changes: bool, messages: bool, locale: str) -> None:
    user.notification_settings = {"public_changes": bool(public_changes), "messages": bool(messages)}
    user.locale = locale if locale in ("ja", "en") else "ja"
    db.session.flush()
    record_event(Actor.of_user(user), "notification_settings_changed", data=dict(user.notification_settings))
