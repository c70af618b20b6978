"""The notification outbox: written with the change, delivered after the
commit through real SMTP, never twice, and not lost when Redis is down."""

from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as sa
from conftest import IS_POSTGRES, other_app
from smtp_sink import SMTPSink

from core.extensions import db
from core.models import OutboxEmail, OutboxStatus
from core.outbox import deliver_pending, queue_email


@pytest.fixture
def smtp_server(app):
    previous = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    with SMTPSink() as sink:
        app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", sink.port
        yield sink
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = previous


def test_email_is_kept_only_when_the_change_commits():
    queue_email("a@example.jp", "件名", "本文", key="k1")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0
    queue_email("a@example.jp", "件名", "本文", key="k1")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 1


def test_same_idempotency_key_queues_once():
    first = queue_email("a@example.jp", "件名", "本文", key="proposal:1:submitted")
    second = queue_email("a@example.jp", "件名", "本文", key="proposal:1:submitted")
    db.session.commit()
    assert first.id == second.id


def test_delivery_through_real_smtp_and_never_twice(smtp_server):
    queue_email("applicant@example.jp", "受付のお知らせ", "KW-2026-000001 を受け付けました。", key="k-smtp")
    db.session.commit()
    assert deliver_pending() == 1
    assert deliver_pending() == 0  # a second sweep finds nothing to send
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == ["applicant@example.jp"]
    assert "X-Idempotency-Key: k-smtp" in envelope.content.decode()
    row = db.session.scalar(sa.select(OutboxEmail))
    db.session.refresh(row)
    assert row.status == OutboxStatus.SENT and row.transport == "smtp"


def test_smtp_down_keeps_the_email_pending_for_a_later_sweep(app, smtp_server):
    queue_email("a@example.jp", "件名", "本文", key="k-retry")
    db.session.commit()
    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    assert deliver_pending() == 0
    row = db.session.scalar(sa.select(OutboxEmail))
    db.session.refresh(row)
    assert row.status == OutboxStatus.PENDING and "Error" in row.last_error
    app.config["MAIL_PORT"] = working_port
    assert deliver_pending() == 1
    assert len(smtp_server.messages) == 1


def test_concurrent_sweeps_send_each_email_once(app, smtp_server):
    for n in range(20):
        queue_email(f"p{n}@example.jp", "件名", "本文", key=f"k-{n}")
    db.session.commit()
    barrier = threading.Barrier(3)
    sent = []

    def sweep():
        with app.app_context():
            barrier.wait()
            sent.append(deliver_pending())

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(sent) == 20
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == sorted(f"p{n}@example.jp" for n in range(20))


def test_request_succeeds_when_the_broker_is_down_and_the_sweep_sends_later(app):
    """Redis down: the commit still succeeds; the email waits in the outbox."""
    with other_app(
        OUTBOX_DISPATCH="after_commit",
        CELERY={**app.config["CELERY"], "broker_url": "redis://127.0.0.1:1/0", "task_always_eager": False,
                "broker_connection_timeout": 1, "broker_connection_max_retries": 0,
                "task_publish_retry": False},
    ):
        queue_email("a@example.jp", "件名", "本文", key="k-broker-down")
        db.session.commit()  # must not raise
        row = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key == "k-broker-down"))
        assert row.status == OutboxStatus.PENDING
        assert deliver_pending() == 1  # what the beat sweep does later
        db.session.refresh(row)
        assert row.status == OutboxStatus.SENT and row.transport == "outbox"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (CI runs this with REDIS_URL)")
def test_commit_dispatches_a_real_celery_worker_through_redis(app):
    """The production path: after commit, a task goes through Redis to a worker."""
    from celery.contrib.testing.worker import start_worker

    with other_app(
        OUTBOX_DISPATCH="after_commit",
        CELERY={**app.config["CELERY"], "broker_url": os.environ["REDIS_URL"], "task_always_eager": False,
                "task_default_queue": f"test-{os.getpid()}", "task_routes": {}},
    ) as redis_app:
        celery = redis_app.extensions["celery"]
        with start_worker(celery, perform_ping_check=False, pool="solo", queues=[f"test-{os.getpid()}"],
                          shutdown_timeout=10):
            queue_email("worker@example.jp", "件名", "本文", key="k-redis")
            db.session.commit()
            row = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key == "k-redis"))
            for _ in range(100):
                db.session.refresh(row)
                if row.status == OutboxStatus.SENT:
                    break
                threading.Event().wait(0.1)
        assert row.status == OutboxStatus.SENT


@pytest.mark.skipif(not IS_POSTGRES, reason="SKIP LOCKED style claims matter on PostgreSQL")
def test_claim_is_atomic_on_postgres(app):
    from core.outbox import _claim

    queue_email("a@example.jp", "件名", "本文", key="k-claim")
    db.session.commit()
    row_id = db.session.scalar(sa.select(OutboxEmail.id))
    assert _claim(row_id) is not None
    assert _claim(row_id) is None


# --- issue 13, finding 3: a killed worker loses no email --------------------------------------

def _age_lease(row_id: int, minutes: int = 11) -> None:
    """What the clock does while a killed worker's claim sits there."""
    from datetime import timedelta

    from core.columns import utcnow

    row = db.session.get(OutboxEmail, row_id)
    row.lease_expires_at = utcnow() - timedelta(minutes=minutes - 10)
    db.session.commit()


def test_a_row_left_in_sending_by_a_killed_worker_is_reclaimed_after_its_lease(smtp_server):
    from core.outbox import _claim

    queue_email("killed@example.jp", "件名", "本文", key="proposal:7:submitted")
    db.session.commit()
    row_id = db.session.scalar(sa.select(OutboxEmail.id))
    assert _claim(row_id) is not None  # the worker claimed it … and was killed (kill -9) before finishing
    assert deliver_pending() == 0  # a live claim is respected: no second sender while the lease holds
    _age_lease(row_id)
    assert deliver_pending() == 1
    assert [m.rcpt_tos for m in smtp_server.messages] == [["killed@example.jp"]]
    row = db.session.get(OutboxEmail, row_id)
    db.session.refresh(row)
    assert row.status == OutboxStatus.SENT and row.attempts == 2 and row.lease_expires_at is None


def test_every_email_carries_its_idempotency_key_as_its_message_id(smtp_server):
    """Sent twice (the server accepted it just before the worker died), the
    two copies have the same Message-ID, so they read as one email."""
    from core.outbox import _claim

    queue_email("twice@example.jp", "件名", "本文", key="proposal:7:state:adopted")
    db.session.commit()
    row_id = db.session.scalar(sa.select(OutboxEmail.id))
    assert deliver_pending() == 1
    db.session.get(OutboxEmail, row_id).status = OutboxStatus.PENDING  # as if the first send's result was lost
    db.session.commit()
    assert _claim(row_id) is not None
    _age_lease(row_id)
    assert deliver_pending() == 1
    ids = [next(line for line in m.content.decode().splitlines() if line.lower().startswith("message-id:"))
           for m in smtp_server.messages]
    assert ids == ["Message-ID: <proposal%3A7%3Astate%3Aadopted@city.example.jp>"] * 2


def test_distinct_keys_never_share_a_message_id():
    from core.outbox import message_id

    assert message_id("a:b", "w@city.example.jp") != message_id("a.b", "w@city.example.jp")


def test_administrators_see_stuck_and_failed_emails_and_resend_them(app, make_user, smtp_server):
    from core.models import Event
    from core.outbox import _claim

    admin = make_user("admin")
    queue_email("stuck@example.jp", "止まったメール", "本文", key="k-stuck")
    queue_email("failed@example.jp", "失敗したメール", "本文", key="k-failed")
    queue_email("fine@example.jp", "届いたメール", "本文", key="k-fine")
    db.session.commit()
    stuck, failed, fine = db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).all()
    failed.status, failed.attempts, failed.last_error = OutboxStatus.FAILED, 5, "SMTPRecipientsRefused: 550"
    stuck.attempts = 4
    db.session.commit()
    stuck_id, failed_id, fine_id = stuck.id, failed.id, fine.id
    _claim(stuck_id)  # the fifth and last attempt: the worker dies, the sweep gives up on it
    _age_lease(stuck_id)
    assert deliver_pending() == 1  # only the fine one
    client = app.test_client()
    client.post("/staff/login", data={"email": admin.email, "password": "correct horse battery"})
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "対応が必要なメール（2件）" in page and "止まったメール" in page and "失敗したメール" in page
    assert "SMTPRecipientsRefused: 550" in page

    assert client.post(f"/admin/outbox/{fine_id}/resend").status_code == 302  # refused with a message
    assert db.session.get(OutboxEmail, fine_id).status == OutboxStatus.SENT
    for row_id in (stuck_id, failed_id):
        response = client.post(f"/admin/outbox/{row_id}/resend")
        assert response.status_code == 302
    events = db.session.scalars(sa.select(Event).where(Event.kind == "outbox_resent").order_by(Event.id)).all()
    assert [(e.actor_user_id, e.data["email_id"], e.data["previous_status"]) for e in events] == [
        (admin.id, stuck_id, "sending"), (admin.id, failed_id, "failed")]
    assert deliver_pending() == 2
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "failed@example.jp", "fine@example.jp", "stuck@example.jp"]
    assert "対応が必要なメール" not in client.get("/admin/outbox").get_data(as_text=True)


def test_only_administrators_may_resend(app, make_user):
    queue_email("x@example.jp", "件名", "本文", key="k-x")
    db.session.commit()
    row_id = db.session.scalar(sa.select(OutboxEmail.id))
    window = make_user("window")
    client = app.test_client()
    client.post("/staff/login", data={"email": window.email, "password": "correct horse battery"})
    assert client.post(f"/admin/outbox/{row_id}/resend").status_code == 403


def test_every_email_has_a_plain_text_part_and_the_same_words_as_html(smtp_server):
    from email import message_from_bytes, policy

    body = ("「宮前区の高齢者サロン」について、市から質問が届きました。\n"
            "ページの「回答を送る」ボタンから答えてください。\n"
            "http://127.0.0.1/my/proposals/KW-2026-000001#answer\n\n"
            "<b>の記号</b> もそのまま")
    queue_email("a@example.jp", "【回答のお願い】市からの質問に答えてください（KW-2026-000001）", body, key="k-html")
    db.session.commit()
    assert deliver_pending() == 1
    message = message_from_bytes(smtp_server.messages[0].content, policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().strip() == body
    html = message.get_body(("html",)).get_content()
    assert '<html lang="ja">' in html and "【回答のお願い】" in html
    assert "「回答を送る」ボタンから答えてください。" in html
    assert '<a href="http://127.0.0.1/my/proposals/KW-2026-000001#answer"' in html
    assert "&lt;b&gt;の記号&lt;/b&gt;" in html and "<b>" not in html  # the text is escaped, never markup
