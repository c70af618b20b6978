"""Finding 1 of issue 13: with Redis lost (the broker and the rate-limit
storage), rate-limited POSTs still work on real requests, and what needs the
broker after the commit is left to the outbox sweep."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa
from conftest import other_app
from intake_helpers import sign_in
from test_intake_flow import fill_all_steps

from core.extensions import db
from core.models import OutboxEmail, OutboxStatus, SignInToken
from proposals.models import Proposal, State


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down_app(app):
    dead = f"redis://127.0.0.1:{_closed_port()}/0"
    celery = {**app.config["CELERY"], "broker_url": dead, "task_always_eager": False}
    try:
        with other_app(REDIS_URL=dead, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=dead, CELERY=celery,
                       OUTBOX_DISPATCH="after_commit") as application:
            yield application
    finally:
        app.extensions["celery"].set_default()  # shared tasks go back to the test app's eager Celery


def test_signin_link_and_staff_login_work_without_redis(redis_down_app, make_user):
    client = redis_down_app.test_client()
    response = client.post("/signin", data={"email": "no-redis@example.jp"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(SignInToken).where(SignInToken.email == "no-redis@example.jp"))
    # The email waits in the outbox for the sweep (the broker could not be told).
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.to_address == "no-redis@example.jp"))
    assert email.status == OutboxStatus.PENDING

    staff = make_user("window", password="a long passphrase")
    response = client.post("/staff/login", data={"email": staff.email, "password": "a long passphrase"})
    assert response.status_code == 302


def test_rate_limits_still_hold_in_memory_without_redis(redis_down_app):
    client = redis_down_app.test_client()
    codes = [client.post("/signin", data={"email": "flood@example.jp"}).status_code for _ in range(6)]
    assert codes == [302] * 5 + [429]


def test_submitting_and_messaging_work_without_redis(redis_down_app, make_user):
    user = make_user("applicant")
    client = redis_down_app.test_client()
    sign_in(client, user)
    draft_id = int(client.post("/proposals/new", data={"organisation": "new"}).headers["Location"].split("/")[2])
    fill_all_steps(client, draft_id)
    response = client.post(f"/proposals/{draft_id}/review", data={"consent_privacy": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    proposal = db.session.get(Proposal, draft_id)
    assert proposal.state != State.DRAFT and proposal.reference

    response = client.post(f"/my/proposals/{proposal.reference}/messages", data={"body": "よろしくお願いします。"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail).where(
        OutboxEmail.status == OutboxStatus.PENDING)) >= 1


def test_what_truly_needs_redis_answers_503_not_500(app):
    """A request that cannot go on without the broker gets a clear page
    (Japanese first, English on request) and a Retry-After, never a 500."""
    import kombu.exceptions

    dead = f"redis://127.0.0.1:{_closed_port()}/0"
    try:
        with other_app(REDIS_URL=dead, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=dead) as application:
            def needs_the_broker():
                raise kombu.exceptions.OperationalError("Error 111 connecting to redis")

            application.add_url_rule("/needs-the-broker", view_func=needs_the_broker)
            client = application.test_client()
            page = client.get("/needs-the-broker")
            assert page.status_code == 503 and page.headers["Retry-After"] == "120"
            assert "一時的にご利用いただけません" in page.get_data(as_text=True)
            client.set_cookie("lang", "en")
            english = client.get("/needs-the-broker").get_data(as_text=True)
            assert "temporarily unavailable" in english.lower()
    finally:
        app.extensions["celery"].set_default()


def test_a_redis_error_answers_503_too(app):
    """Redis's own errors reach the last-resort handler, which hands them to the
    503 page (core.security.broker_unavailable: redis is not imported at start-up)."""
    import redis.exceptions

    try:
        with other_app() as application:
            def needs_redis():
                raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379")

            def breaks():
                raise RuntimeError("a bug")

            application.add_url_rule("/needs-redis", view_func=needs_redis)
            application.add_url_rule("/breaks", view_func=breaks)
            client = application.test_client()
            page = client.get("/needs-redis")
            assert page.status_code == 503 and page.headers["Retry-After"] == "120"
            assert "一時的にご利用いただけません" in page.get_data(as_text=True)
            assert client.get("/breaks").status_code == 500
    finally:
        app.extensions["celery"].set_default()
