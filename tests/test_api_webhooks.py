"""Webhooks, delivered to a real HTTP receiver on 127.0.0.1: signed with
HMAC-SHA256 and a timestamp, retried with exponential backoff, logged,
redelivered on request, paused (and the owner emailed) when they keep failing."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from api_helpers import Api, token_for
from conftest import department_id

from api import webhooks
from api.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from core.audit import Actor
from core.columns import utcnow
from core.extensions import db
from core.models import OutboxEmail
from proposals import operations
from proposals.models import Assignment, State


class Receiver:
    """A local HTTP server that records what it is sent and answers `status`."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _subscribe(api: Api, url: str, events: list[str]) -> dict:
    response = api.post("/api/v1/webhooks", json={"url": url, "events": events})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["secret"].startswith("whsec_")
    return response.get_json()


def test_assignment_and_answer_reach_department_and_organisation_signed(client, make_user, make_proposal, receiver):
    proposal = make_proposal("triage")
    department = make_user("department_staff", department="ward-miyamae")
    ward_hook = _subscribe(Api(client, token_for(department)), receiver.url, ["assigned", "answered"])
    org_hook = _subscribe(Api(client, token_for(proposal.created_by)), receiver.url, ["status_changed", "answered"])

    operations.assign(proposal, department_id("ward-miyamae"), [], Actor.of_user(make_user("window")))
    db.session.commit()
    assert webhooks.deliver_due() == 2  # the ward: assigned; the organisation: status changed
    by_event = {r["headers"]["X-Window-Event"]: r for r in receiver.received}
    assert set(by_event) == {"assigned", "status_changed"}

    assigned = by_event["assigned"]
    timestamp, signature = assigned["headers"]["X-Window-Timestamp"], assigned["headers"]["X-Window-Signature"]
    assert webhooks.verify(ward_hook["secret"], timestamp, assigned["body"], signature)
    assert not webhooks.verify(org_hook["secret"], timestamp, assigned["body"], signature)  # another secret
    assert not webhooks.verify(ward_hook["secret"], timestamp, assigned["body"] + b" ", signature)  # tampered
    assert not webhooks.verify(ward_hook["secret"], str(int(timestamp) - 3600), assigned["body"], signature)  # old
    payload = json.loads(assigned["body"])
    assert payload["event"] == "assigned" and payload["proposal"]["reference"] == proposal.reference
    assert payload["proposal"]["state"] == "assigned" and payload["data"]["role"] == "lead"

    changed = json.loads(by_event["status_changed"]["body"])
    assert changed["proposal"]["status"] == "under_review" and "state" not in changed["proposal"]
    assert changed["data"]["to"] == "under_review" and "to_state" not in changed["data"]

    # The department adopts: both hear "answered"; the organisation also hears the status change.
    from responses import operations as answers

    lead = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id))
    answers.adopt(lead, Actor.of_user(department), "採択します", answers.NextSteps())
    db.session.commit()
    receiver.received.clear()
    assert webhooks.deliver_due() == 3
    heard = sorted((json.loads(r["body"])["event"], r["headers"]["X-Window-Delivery"]) for r in receiver.received)
    assert [event for event, _ in heard] == ["answered", "answered", "status_changed"]
    assert webhooks.deliver_due() == 0  # delivered once, never twice


def test_nothing_is_queued_for_a_change_that_rolls_back(client, make_user, make_proposal):
    proposal = make_proposal("triage")
    _subscribe(Api(client, token_for(make_user("department_staff", department="ward-miyamae"))),
               "http://127.0.0.1:9/hook", ["assigned"])
    operations.assign(proposal, department_id("ward-miyamae"), [], Actor.of_user(make_user("window")))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0


def test_failures_back_off_then_pause_and_tell_the_owner(client, make_user, make_proposal, receiver, monkeypatch):
    proposal = make_proposal("triage")
    department = make_user("department_staff", department="ward-miyamae")
    api = Api(client, token_for(department))
    hook = _subscribe(api, receiver.url, ["assigned"])
    receiver.status = 500
    operations.assign(proposal, department_id("ward-miyamae"), [], Actor.of_user(make_user("window")))
    db.session.commit()

    delivery_id = db.session.scalar(sa.select(WebhookDelivery.id))
    waits = []
    for _ in range(webhooks.PAUSE_AFTER):
        before = utcnow()
        assert webhooks.deliver(delivery_id) is False
        delivery = db.session.get(WebhookDelivery, delivery_id)
        db.session.refresh(delivery)
        if delivery.next_attempt_at is not None:
            waits.append(round((delivery.next_attempt_at - before).total_seconds()))
        if delivery.status == DeliveryStatus.FAILED:  # gave up on this one: a redelivery starts again
            delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, utcnow()
            db.session.commit()
    assert waits[:4] == [30, 60, 120, 240]  # exponential backoff
    assert len(receiver.received) == webhooks.PAUSE_AFTER and delivery.last_status_code == 500

    subscription = db.session.get(WebhookSubscription, hook["id"])
    db.session.refresh(subscription)
    assert subscription.paused_at is not None
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.to_address == department.email,
                                                           OutboxEmail.idempotency_key.startswith("webhook:paused:")))
    assert email is not None and receiver.url in email.body_text and "/resume" in email.body_text
    assert api.get("/api/v1/webhooks").get_json()["items"][0]["paused"] is True
    assert webhooks.deliver_due() == 0  # paused: nothing is sent

    # The log shows it; the owner fixes the receiver, resumes, and redelivers.
    log = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()["items"]
    assert log[0]["id"] == delivery_id and log[0]["last_status_code"] == 500
    receiver.status = 204
    assert api.post(f"/api/v1/webhooks/{hook['id']}/resume").status_code == 200
    redelivered = api.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery_id}/redeliver")
    assert redelivered.status_code == 202
    assert webhooks.deliver_due() == 1
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, delivery_id).status == DeliveryStatus.DELIVERED


def test_deadline_rungs_become_deadline_near_and_overdue(client, make_user, make_proposal, receiver):
    from responses.clock import tokyo_moment
    from responses.sweep import sweep

    proposal = make_proposal("triage")
    department = make_user("department_staff", department="ward-miyamae")
    _subscribe(Api(client, token_for(department)), receiver.url, ["deadline_near", "overdue"])
    operations.assign(proposal, department_id("ward-miyamae"), [], Actor.of_user(make_user("window")))
    db.session.commit()
    assignment = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id))
    sweep(tokyo_moment(assignment.ack_due_on))
    db.session.commit()
    sweep(tokyo_moment(assignment.ack_due_on + timedelta(days=3)))
    db.session.commit()
    webhooks.deliver_due()
    events = [json.loads(r["body"])["event"] for r in receiver.received]
    assert "deadline_near" in events and "overdue" in events
    overdue = next(json.loads(r["body"]) for r in receiver.received if json.loads(r["body"])["event"] == "overdue")
    assert overdue["data"]["deadline"] == "ack" and overdue["proposal"]["state"] == State.ASSIGNED.value


def test_production_refuses_urls_into_the_citys_own_network(make_user):
    from conftest import other_app

    with other_app(WEBHOOK_ALLOW_PRIVATE_URLS=False) as production:
        api = Api(production.test_client(), token_for(make_user("department_staff", department="ward-miyamae")))
        for url in ("http://127.0.0.1:8111/hook", "https://127.0.0.1/hook", "https://10.0.0.5/hook",
                    "https://[::1]/hook", "https://localhost/hook"):
            refused = api.post("/api/v1/webhooks", json={"url": url, "events": ["assigned"]})
            assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "url", url
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookSubscription)) == 0
