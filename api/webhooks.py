"""Webhooks: departments and organisations subscribe a URL to events
(assigned, deadline_near, overdue, answered, status_changed).

Events are heard through the signals the operations already send
(proposal_assigned, and event_recorded for state changes and deadline
rungs), so no operation knows about webhooks. Each event becomes one
delivery row per subscription in the same transaction (an outbox: nothing
is sent for a change that rolls back); after the commit a Celery task POSTs
it, signed with the subscription's secret:

    X-Window-Timestamp: 1767225600
    X-Window-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))

A failed attempt is retried with exponential backoff by the beat sweep; a
subscription that fails PAUSE_AFTER times in a row is paused and its owner
is emailed (through the outbox)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

import sqlalchemy as sa
from celery import shared_task
from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import event as sa_event

from api.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from core.audit import Actor, event_recorded, record_event
from core.columns import utcnow
from core.extensions import db
from core.models import Event
from core.outbox import queue_email
from proposals.lifecycle import public_state
from proposals.models import Assignment, AssignmentStatus, Proposal, State
from proposals.operations import proposal_assigned

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
PAUSE_AFTER = 10  # failed attempts in a row, across deliveries
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600
TIMEOUT_SECONDS = 5
PENDING_KEY = "webhook_deliveries"


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … at most 6 hours."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1), BACKOFF_MAX_SECONDS))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


# --- turning events into deliveries ---------------------------------------------------------------------

def _subscriptions(event_name: str, *, departments=(), organisations=()) -> list[WebhookSubscription]:
    owners = []
    if departments:
        owners.append(WebhookSubscription.department_id.in_(list(departments)))
    if organisations:
        owners.append(WebhookSubscription.organisation_id.in_(list(organisations)))
    if not owners:
        return []
    rows = db.session.scalars(sa.select(WebhookSubscription).where(
        sa.or_(*owners), WebhookSubscription.deleted_at.is_(None))).all()
    return [row for row in rows if event_name in (row.events or [])]


def _proposal_payload(proposal: Proposal, for_department: bool) -> dict:
    body = {"id": proposal.id, "reference": proposal.reference, "title": proposal.title,
            "status": public_state(proposal.state).value}
    if for_department:
        body["state"] = proposal.state.value
    return body


def _queue(event_name: str, proposal: Proposal, data: dict, *, departments=(), organisations=()) -> None:
    for subscription in _subscriptions(event_name, departments=departments, organisations=organisations):
        payload = {"event": event_name, "occurred_at": utcnow().isoformat(),
                   "proposal": _proposal_payload(proposal, subscription.department_id is not None),
                   "data": data if subscription.department_id is not None else _public_data(data)}
        delivery = WebhookDelivery(subscription_id=subscription.id, event=event_name, payload=payload,
                                   next_attempt_at=utcnow())
        db.session.add(delivery)
        db.session.flush()
        payload["delivery_id"] = delivery.id
        delivery.payload = dict(payload)
        db.session.info.setdefault(PENDING_KEY, []).append(delivery.id)


def _public_data(data: dict) -> dict:
    return {key: value for key, value in data.items() if key in ("from", "to", "comment")}


def _active_departments(proposal_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Assignment.department_id).where(
        Assignment.proposal_id == proposal_id, Assignment.status == AssignmentStatus.ACTIVE)))


ANY_KEY = "webhook_subscriptions_exist"


def _any_subscriptions() -> bool:
    """Asked once per transaction, so a city without webhooks pays one small query per commit, not per event."""
    info = db.session.info
    if ANY_KEY not in info:
        info[ANY_KEY] = db.session.scalar(sa.select(WebhookSubscription.id).where(
            WebhookSubscription.deleted_at.is_(None)).limit(1)) is not None
    return info[ANY_KEY]


def on_assigned(proposal: Proposal, assignments: list[Assignment], **_) -> None:
    if not _any_subscriptions():
        return
    for assignment in assignments:
        _queue("assigned", proposal, {"assignment_id": assignment.id, "role": assignment.role.value},
               departments=[assignment.department_id])


def on_event(event: Event, **_) -> None:
    if event.proposal_id is None or event.kind not in WATCHED_KINDS or not _any_subscriptions():
        return
    if event.kind == "state_changed":
        proposal = db.session.get(Proposal, event.proposal_id)
        departments = set(_active_departments(proposal.id))
        if event.data and event.data.get("department_id"):
            departments.add(event.data["department_id"])
        organisations = [proposal.organisation_id] if event.public and proposal.organisation_id else []
        target = State(event.to_state)
        data = {"from": public_state(State(event.from_state)).value, "to": public_state(target).value,
                "from_state": event.from_state, "to_state": event.to_state,
                "comment": event.comment if event.public else None}
        _queue("status_changed", proposal, data, departments=departments, organisations=organisations)
        if target in (State.ADOPTED, State.NOT_ADOPTED):
            _queue("answered", proposal, data, departments=departments, organisations=organisations)
    elif event.kind in ("deadline_reminder", "deadline_overdue") and event.department_id:
        proposal = db.session.get(Proposal, event.proposal_id)
        name = "deadline_near" if event.kind == "deadline_reminder" else "overdue"
        _queue(name, proposal, dict(event.data or {}), departments=[event.department_id])


WATCHED_KINDS = frozenset({"state_changed", "deadline_reminder", "deadline_overdue"})


def _dispatch_after_commit(session) -> None:
    session.info.pop(ANY_KEY, None)
    ids = session.info.pop(PENDING_KEY, None)
    if not ids or current_app.config.get("WEBHOOK_DISPATCH", "after_commit") != "after_commit":
        return
    for delivery_id in ids:
        try:
            deliver_webhook.delay(delivery_id)
        except Exception:  # broker down: the sweep sends it later
            log.warning("could not dispatch webhook delivery %s; the sweep will", delivery_id, exc_info=True)


def _forget(session) -> None:
    session.info.pop(PENDING_KEY, None)
    session.info.pop(ANY_KEY, None)


def subscriptions_changed() -> None:
    """A subscription was added or removed: the per-transaction "any subscriptions?" answer is stale."""
    db.session.info.pop(ANY_KEY, None)


def send_again(delivery: WebhookDelivery) -> None:
    """Queue a delivery for a new attempt now, whatever its state; sent after the commit."""
    delivery.status, delivery.next_attempt_at, delivery.attempts = DeliveryStatus.PENDING, utcnow(), 0
    db.session.info.setdefault(PENDING_KEY, []).append(delivery.id)


# --- sending ------------------------------------------------------------------------------------------------

def _post(subscription: WebhookSubscription, delivery: WebhookDelivery) -> tuple[int | None, str | None]:
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(subscription.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "kawasaki-window-webhooks/1",
        "X-Window-Event": delivery.event, "X-Window-Delivery": str(delivery.id),
        "X-Window-Timestamp": timestamp, "X-Window-Signature": sign(subscription.secret, timestamp, body)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http/https only)
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:500]


def deliver(delivery_id: int) -> bool:
    """One attempt; True when the receiver answered 2xx. Safe to run twice:
    the row is locked and a delivered row is left alone."""
    delivery = db.session.scalar(sa.select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                                 .with_for_update().execution_options(populate_existing=True))
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        db.session.rollback()
        return False
    subscription = delivery.subscription
    if subscription.paused_at is not None or subscription.deleted_at is not None:
        db.session.rollback()
        return False
    code, error = _post(subscription, delivery)
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = code, error
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, utcnow(), None
        subscription.failures_in_a_row = 0
    else:
        subscription.failures_in_a_row += 1
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            delivery.next_attempt_at = utcnow() + backoff(delivery.attempts)
        if subscription.failures_in_a_row >= PAUSE_AFTER and subscription.paused_at is None:
            _pause(subscription)
    db.session.commit()
    return delivery.status == DeliveryStatus.DELIVERED


def _pause(subscription: WebhookSubscription) -> None:
    subscription.paused_at = utcnow()
    record_event(Actor.system("webhooks"), "webhook_paused",
                 data={"subscription_id": subscription.id, "url": subscription.url,
                       "failures": subscription.failures_in_a_row})
    owner = subscription.created_by
    locale = owner.locale or "ja"
    with force_locale(locale):
        subject = str(_l("Webhook を一時停止しました"))
        body = str(_l("次の Webhook への送信が %(n)d 回続けて失敗したため、送信を一時停止しました。\n\n%(url)s\n\n"
                      "受け取り側を直してから、API の POST /api/v1/webhooks/%(id)d/resume で再開してください。"
                      "止まっていた間の通知は配信履歴から再送できます。",
                      n=subscription.failures_in_a_row, url=subscription.url, id=subscription.id))
    queue_email(owner.email, subject, body, key=f"webhook:paused:{subscription.id}:{subscription.paused_at.isoformat()}",
                locale=locale)


def deliver_due(limit: int = 200) -> int:
    """The sweep: pending deliveries whose next attempt is due."""
    ids = list(db.session.scalars(
        sa.select(WebhookDelivery.id).join(WebhookSubscription)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= utcnow(),
               WebhookSubscription.paused_at.is_(None), WebhookSubscription.deleted_at.is_(None))
        .order_by(WebhookDelivery.next_attempt_at).limit(limit)))
    db.session.rollback()
    return sum(1 for delivery_id in ids if deliver(delivery_id))


@shared_task(name="webhooks.deliver", ignore_result=True)
def deliver_webhook(delivery_id: int) -> bool:
    return deliver(delivery_id)


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep_webhooks() -> int:
    return deliver_due()


def init_app(app: Flask) -> None:
    app.config.setdefault("WEBHOOK_DISPATCH", app.config.get("OUTBOX_DISPATCH", "after_commit"))
    # Local receivers are fine while developing; production sends to public https URLs only.
    app.config.setdefault("WEBHOOK_ALLOW_PRIVATE_URLS", app.config.get("APP_ENV") != "production")
    proposal_assigned.connect(on_assigned)
    event_recorded.connect(on_event)
    for name, listener in (("after_commit", _dispatch_after_commit), ("after_rollback", _forget)):
        if not sa_event.contains(db.session, name, listener):
            sa_event.listen(db.session, name, listener)
    celery = app.extensions.get("celery")
    if celery is not None:  # the beat retries what failed, with backoff
        celery.conf.beat_schedule = {**celery.conf.beat_schedule,
                                     "webhooks-sweep": {"task": "webhooks.sweep", "schedule": 30.0}}
