"""Emails to the organisation's members on every public change of their
proposal and on every message from a department, in each member's
language and respecting their own settings (User.notification_settings).
Queued in the outbox inside the same transaction as the change."""

from __future__ import annotations

import sqlalchemy as sa

from core.extensions import db
from core.models import Membership, Role, User
from core.outbox import queue_templated_email
from intake.texts import NEXT_STEPS, STATE_LABELS
from proposals.lifecycle import public_state
from proposals.models import Proposal, State

DEFAULT_SETTINGS = {"public_changes": True, "messages": True}


def wants(user: User, kind: str) -> bool:
    settings = user.notification_settings or {}
    return bool(settings.get(kind, DEFAULT_SETTINGS[kind]))


def recipients(proposal: Proposal, *, exclude_user_id: int | None, kind: str) -> list[User]:
    """Active applicant members of the organisation (and the creator), except
    the person who made the change, who opted in to this kind of email."""
    query = sa.select(User).where(User.active, User.role == Role.APPLICANT)
    conditions = [User.id == proposal.created_by_id] if proposal.created_by_id else []
    if proposal.organisation_id is not None:
        conditions.append(User.id.in_(
            sa.select(Membership.user_id).where(Membership.organisation_id == proposal.organisation_id)))
    if not conditions:
        return []
    users = db.session.scalars(query.where(sa.or_(*conditions)).order_by(User.id)).all()
    return [u for u in users if u.id != exclude_user_id and wants(u, kind)]


def _actor_user_id(actor) -> int | None:
    return actor.user.id if actor is not None and actor.user is not None else None


def on_transition(proposal: Proposal, transition=None, actor=None, event=None, **_):
    if event is None or not event.public or transition.target == State.SUBMITTED:
        return  # drafts being submitted get the confirmation email instead
    if public_state(transition.source) == public_state(transition.target):
        return  # e.g. submitted -> triage: nothing the applicant needs to hear about
    from intake.operations import app_path

    link = app_path("intake.status", reference=proposal.reference)
    new_state = public_state(transition.target)
    for user in recipients(proposal, exclude_user_id=_actor_user_id(actor), kind="public_changes"):
        queue_templated_email(
            user.email, "intake_status_changed", key=f"intake:event:{event.id}:{user.id}", locale=user.locale or "ja",
            proposal_id=proposal.id, proposal=proposal, new_state=new_state, comment=event.comment, link=link,
            state_labels=STATE_LABELS, next_steps=NEXT_STEPS, settings_link=app_path("intake.settings"),
        )


def on_message(proposal: Proposal, message=None, actor=None, event=None, **_):
    """Messages from staff (not internal notes) reach the applicant's members."""
    if message is None or message.internal or actor is None or actor.user is None:
        return
    if actor.user.role == Role.APPLICANT:
        return
    from intake.operations import app_path

    link = app_path("intake.status", reference=proposal.reference) + "#messages"
    for user in recipients(proposal, exclude_user_id=actor.user.id, kind="messages"):
        queue_templated_email(
            user.email, "intake_message", key=f"intake:message:{message.id}:{user.id}", locale=user.locale or "ja",
            proposal_id=proposal.id, proposal=proposal, message=message, department=message.department, link=link,
            settings_link=app_path("intake.settings"),
        )


def connect() -> None:
    from proposals.operations import message_posted, proposal_transitioned

    proposal_transitioned.connect(on_transition, weak=False)
    message_posted.connect(on_message, weak=False)
