"""Emails to the organisation's members on every change that appears on
their proposal's public timeline and on every message from a department,
in each member's language and respecting their own settings
(User.notification_settings, /my/settings). Queued in the outbox inside the
same transaction as the change.

One mechanism: every audit event is announced as it is written
(core.audit.event_recorded); a public event of a proposal becomes one email
per member, with a template for its kind (templates/email/intake_*.txt,
whose text lives in templates/intake/email/). One change is one email: a
request that writes several public events for a proposal (a message and
the move it causes, a submission and the routing that follows) emails each
member once, about the first of them. Messages and the files that come with
them are told by the message email (the "messages" setting), everything else
by the "public_changes" setting."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import event as sa_event

from core.audit import event_recorded
from core.extensions import db
from core.models import Department, Event, Role
from core.outbox import queue_templated_email
from core.urls import app_path
from intake.texts import EMAIL_ANCHORS, EMAIL_NEXT_STEPS, EMAIL_SUBJECTS, STATE_LABELS, describe_event
from proposals import visibility
from proposals.audiences import open_for_partners, recipients
from proposals.lifecycle import public_state
from proposals.models import Assignment, Message, Proposal, State
from proposals.operations import message_posted
from proposals.visibility import Reader

# Public events that belong to a message: its own email tells them (or, from the applicant, nobody).
MESSAGE_EVENTS = frozenset({"message_posted", "attachment_added"})
# Kinds of public event with an email of their own; any other public kind gets intake_event_update.
EVENT_TEMPLATES = {
    "assignment_acknowledged": "intake_event_acknowledged",
    "publication_approved": "intake_event_published",
    "publication_withdrawn": "intake_event_unpublished",
    "meeting_proposed": "intake_event_meeting",
}
_MEMORY = "intake_notified"  # key in db.session.info: what this transaction already emailed


def _actor_user_id(actor) -> int | None:
    return actor.user.id if actor is not None and actor.user is not None else None


# --- one email per member and change -----------------------------------------------------------------

def _memory() -> dict[str, set]:
    return db.session.info.setdefault(_MEMORY, {"told": set(), "submitted": set()})


def _forget(session, *_) -> None:
    session.info.pop(_MEMORY, None)


def _first_news(proposal_id: int, user_id: int) -> bool:
    """True once per member and proposal in a transaction (then remembered)."""
    told = _memory()["told"]
    if (proposal_id, user_id) in told:
        return False
    told.add((proposal_id, user_id))
    return True


# --- public timeline events --------------------------------------------------------------------------

def on_event(event: Event, actor=None, **_) -> None:
    if not event.public or event.proposal_id is None or event.kind in MESSAGE_EVENTS:
        return
    memory = _memory()
    if event.kind == "state_changed" and event.to_state == State.SUBMITTED:
        memory["submitted"].add(event.proposal_id)
        proposal = db.session.get(Proposal, event.proposal_id)
        _on_submitted(proposal, actor)
        return
    if event.proposal_id in memory["submitted"]:
        return  # what routing does with a new proposal is part of its submission (one email)
    proposal = db.session.get(Proposal, event.proposal_id)
    template, context = _email_for(event, proposal)
    for user in recipients(proposal, exclude_user_id=_actor_user_id(actor), kind="public_changes"):
        if not _first_news(proposal.id, user.id):
            continue
        queue_templated_email(
            user.email, template, key=f"intake:event:{event.id}:{user.id}", locale=user.locale or "ja",
            proposal_id=proposal.id, proposal=proposal, event=event,
            comment=visibility.comment_for(event, Reader.APPLICANT),
            link=app_path("intake.status", reference=proposal.reference),
            settings_link=app_path("intake.settings"), **context,
        )


def _on_submitted(proposal: Proposal, actor) -> None:
    """The person who submits (and the proposal's contact) get the confirmation
    from intake.operations.submit_proposal; the organisation's other members get
    the same email, under the same idempotency key, if they want news."""
    for user in recipients(proposal, exclude_user_id=_actor_user_id(actor), kind="public_changes"):
        _first_news(proposal.id, user.id)
        if user.email == proposal.contact_email:
            continue  # the confirmation reaches them
        queue_templated_email(user.email, "intake_submitted", key=f"intake:submitted:{proposal.id}:{user.email}",
                              locale=user.locale or "ja", proposal_id=proposal.id, proposal=proposal,
                              link=app_path("intake.status", reference=proposal.reference))


def _view_path(endpoint: str, **values) -> str | None:
    """A path of another room's page, if that room is installed."""
    return app_path(endpoint, **values) if endpoint in current_app.view_functions else None


def _email_for(event: Event, proposal: Proposal) -> tuple[str, dict[str, Any]]:
    department = db.session.get(Department, event.department_id) if event.department_id else None
    data = event.data or {}
    context: dict[str, Any] = {"description": describe_event(event), "department": department}
    if data.get("meeting_options"):  # a meeting proposed, with or without the move to in_consultation
        if department is None and data.get("department_id"):
            department = context["department"] = db.session.get(Department, data["department_id"])
        message = db.session.get(Message, data["message_id"]) if data.get("message_id") else None
        return "intake_event_meeting", {**context, "options": list(data["meeting_options"]),
                                        "message": message if message is not None and not message.internal else None}
    if event.kind == "state_changed":
        source, target = State(event.from_state), State(event.to_state)
        if target == State.EVALUATED:
            return "intake_event_evaluated", {
                **context, "catalogue_link": _view_path("public.proposal", reference=proposal.reference)
                if proposal.publication_approved and proposal.consent_publish else None}
        if public_state(source) != public_state(target):
            new_state = public_state(target)
            return "intake_status_changed", {
                **context, "new_state": new_state, "state_labels": STATE_LABELS, "next_steps": EMAIL_NEXT_STEPS,
                "subjects": EMAIL_SUBJECTS, "anchor": EMAIL_ANCHORS.get(new_state, ""),
                "outcome": visibility.data_for(event, Reader.APPLICANT)}
        return "intake_event_update", context
    template = EVENT_TEMPLATES.get(event.kind, "intake_event_update")
    if event.kind == "assignment_acknowledged":
        assignment = db.session.get(Assignment, data["assignment_id"]) if data.get("assignment_id") else None
        context.update(lead=data.get("role") == "lead",
                       answer_due_on=assignment.answer_due_on if assignment is not None else None)
    elif event.kind == "publication_approved":
        partners_link = _view_path("public.partners_wanted", reference=proposal.reference)
        if partners_link is not None:
            partners_link = partners_link if open_for_partners(proposal) else None
        context.update(catalogue_link=_view_path("public.proposal", reference=proposal.reference),
                       partners_link=partners_link)
    return template, context


# --- messages ------------------------------------------------------------------------------------------

def on_message(proposal: Proposal, message=None, actor=None, event=None, **_):
    """Messages from staff (not internal notes) reach the applicant's members."""
    if message is None or message.internal or actor is None or actor.user is None:
        return
    if actor.user.role == Role.APPLICANT:
        return
    link = app_path("intake.status", reference=proposal.reference) + "#messages"
    for user in recipients(proposal, exclude_user_id=actor.user.id, kind="messages"):
        if not _first_news(proposal.id, user.id):
            continue
        queue_templated_email(
            user.email, "intake_message", key=f"intake:message:{message.id}:{user.id}", locale=user.locale or "ja",
            proposal_id=proposal.id, proposal=proposal, message=message, department=message.department, link=link,
            settings_link=app_path("intake.settings"),
        )


def connect() -> None:
    event_recorded.connect(on_event, weak=False)
    message_posted.connect(on_message, weak=False)
    for name in ("after_commit", "after_rollback"):
        if not sa_event.contains(db.session, name, _forget):
            sa_event.listen(db.session, name, _forget)
