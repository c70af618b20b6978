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
