"""The webhooks resource: departments and organisations subscribe a URL to events,
list their deliveries and redeliver one. Signing, queueing and sending are in api/webhooks.py."""

from __future__ import annotations

import ipaddress
import secrets
import socket
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from api import schemas as s
from api import schemas_webhooks as ws
from api.auth import api_actor, api_user, token_required
from api.conditional import page_links, page_of
from api.models import WebhookDelivery, WebhookSubscription
from api.platform import api_blueprint
from api.problems import ApiProblem
from api.webhooks import send_again, subscriptions_changed
from core.audit import record_event
from core.columns import utcnow
from core.extensions import db
from core.models import Department, Role, User

blp = api_blueprint("api_webhooks", __name__, "/api/v1/webhooks", "Webhooks of departments and organisations")


def _allowed_url(url: str) -> bool:
    """In production a webhook never points into the city's own network (or
    the server itself): every address the host name resolves to must be public."""
    if current_app.config.get("WEBHOOK_ALLOW_PRIVATE_URLS", True):
        return True
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return False
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        return False
    return all(ipaddress.ip_address(info[4][0]).is_global for info in infos)


def _owner_clause(user: User):
    if user.role == Role.APPLICANT:
        return WebhookSubscription.organisation_id.in_(sorted(user.organisation_ids()) or [-1])
    if user.department_id is None:
        return sa.false()
    return WebhookSubscription.department_id == user.department_id


def _own(subscription_id: int) -> WebhookSubscription:
    row = db.session.scalar(sa.select(WebhookSubscription).where(
        WebhookSubscription.id == subscription_id, WebhookSubscription.deleted_at.is_(None), _owner_clause(api_user())))
    if row is None:
        raise ApiProblem(404, detail=_l("この Webhook は見つかりません。"))
    return row


def _out(row: WebhookSubscription, secret: str | None = None) -> dict:
    owner = (db.session.get(Department, row.department_id).code if row.department_id
             else f"organisation:{row.organisation_id}")
    out = {"id": row.id, "url": row.url, "events": row.events, "owner": owner, "paused": row.paused_at is not None,
           "failures_in_a_row": row.failures_in_a_row, "created_at": row.created_at}
    if secret:
        out["secret"] = secret
    return out


@blp.route("", methods=["GET"])
@token_required("read")
@blp.response(200, ws.WebhookList)
def list_webhooks():
    rows = db.session.scalars(sa.select(WebhookSubscription).where(
        WebhookSubscription.deleted_at.is_(None), _owner_clause(api_user())).order_by(WebhookSubscription.id)).all()
    return {"items": [_out(row) for row in rows]}


@blp.route("", methods=["POST"])
@token_required("act")
@blp.arguments(ws.WebhookIn)
@blp.response(201, ws.WebhookOut)
@blp.alt_response(422, description="Invalid input")
def subscribe(body):
    """Subscribe a URL; the answer carries the signing secret, shown once."""
    user = api_user()
    department_id = organisation_id = None
    if user.role == Role.APPLICANT:
        organisation_id = body.get("organisation_id")
        if organisation_id is None and len(user.organisation_ids()) == 1:
            organisation_id = next(iter(user.organisation_ids()))
        if organisation_id not in user.organisation_ids():
            raise ApiProblem(422, errors=[{"field": "organisation_id",
                                           "message": _l("あなたが所属する団体の番号を指定してください。")}])
    else:
        if user.department_id is None:
            raise ApiProblem(403, detail=_l("このトークンの利用者は部署に所属していません。"))
        department_id = user.department_id
    if not _allowed_url(body["url"]):
        raise ApiProblem(422, errors=[{"field": "url", "message": _l(
            "このURLには送れません。インターネットから届く https:// のURLを指定してください（庁内・ローカルのアドレスは使えません）。")}])
    secret = "whsec_" + secrets.token_urlsafe(32)
    row = WebhookSubscription(url=body["url"], events=list(dict.fromkeys(body["events"])), secret=secret,
                              department_id=department_id, organisation_id=organisation_id, created_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    subscriptions_changed()
    record_event(api_actor(), "webhook_subscribed", department_id=department_id,
                 data={"subscription_id": row.id, "url": row.url, "events": row.events,
                       "organisation_id": organisation_id})
    db.session.commit()
    return _out(row, secret), 201


@blp.route("/<int:subscription_id>", methods=["DELETE"])
@token_required("act")
@blp.response(204)
@blp.alt_response(404, description="Not found")
def unsubscribe(subscription_id: int):
    row = _own(subscription_id)
    row.deleted_at = utcnow()
    record_event(api_actor(), "webhook_unsubscribed", data={"subscription_id": row.id})
    db.session.commit()


@blp.route("/<int:subscription_id>/resume", methods=["POST"])
@token_required("act")
@blp.response(200, ws.WebhookOut)
@blp.alt_response(404, description="Not found")
def resume(subscription_id: int):
    """Start sending again after a pause (pending deliveries go out at the next sweep)."""
    row = _own(subscription_id)
    row.paused_at, row.failures_in_a_row = None, 0
    record_event(api_actor(), "webhook_resumed", data={"subscription_id": row.id})
    db.session.commit()
    return _out(row)


@blp.route("/<int:subscription_id>/deliveries", methods=["GET"])
@token_required("read")
@blp.arguments(s.PageArgs, location="query")
@blp.response(200, ws.DeliveryPage)
@blp.alt_response(404, description="Not found")
def deliveries(args, subscription_id: int):
    """The delivery log, newest first."""
    row = _own(subscription_id)
    query = sa.select(WebhookDelivery).where(WebhookDelivery.subscription_id == row.id)
    rows, next_cursor = page_of(query, WebhookDelivery.id, cursor=args.get("cursor"), limit=args["limit"])
    items = [{"id": d.id, "event": d.event, "status": d.status.value, "attempts": d.attempts,
              "last_status_code": d.last_status_code, "last_error": d.last_error, "created_at": d.created_at,
              "delivered_at": d.delivered_at, "next_attempt_at": d.next_attempt_at} for d in rows]
    return {"items": items, "next_cursor": next_cursor}, 200, page_links(next_cursor)


@blp.route("/<int:subscription_id>/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@token_required("act")
@blp.response(202, ws.DeliveryOut)
@blp.alt_response(404, description="Not found")
def redeliver(subscription_id: int, delivery_id: int):
    """Send one delivery again (a new attempt now, whatever its state)."""
    row = _own(subscription_id)
    delivery = db.session.scalar(sa.select(WebhookDelivery).where(WebhookDelivery.id == delivery_id,
                                                                  WebhookDelivery.subscription_id == row.id))
    if delivery is None:
        raise ApiProblem(404, detail=_l("この配信は見つかりません。"))
    send_again(delivery)
    record_event(api_actor(), "webhook_redelivery", data={"subscription_id": row.id, "delivery_id": delivery.id})
    db.session.commit()
    return {"id": delivery.id, "event": delivery.event, "status": delivery.status.value,
            "attempts": delivery.attempts, "last_status_code": delivery.last_status_code,
            "last_error": delivery.last_error, "created_at": delivery.created_at,
            "delivered_at": delivery.delivered_at, "next_attempt_at": delivery.next_attempt_at}

