"""Faults, on PostgreSQL with a Redis of the test's own (started and stopped
here: never the shared one) and real Celery workers (subprocesses):

- Redis stopped during submissions, sign-in, transitions and messages:
  0 × 5xx, nothing lost (the submission, the events, the queued emails);
- the worker killed with SIGKILL mid-send, then restarted: every email
  delivered; a duplicate only for an email that was mid-send when killed
  and that the SMTP server had already accepted;
- the database connection killed mid-request (pg_terminate_backend): a
  clean 503 page, no half-written state, and the retry succeeds;
- two beats at once (two workers running the sweep and the outbox
  together): each rung fired once, each email sent once.

PostgreSQL only (CI runs them in its PostgreSQL pass): set
FAULT_REDIS_PORT to move the private Redis off 6391."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import DATABASE_URL, IS_POSTGRES, app_config, department_id, other_app
from intake_helpers import VALID_STEPS, sign_in
from smtp_sink import SMTPSink, _Handler

from core.audit import Actor
from core.extensions import db

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not IS_POSTGRES, reason="fault tests run on PostgreSQL + Redis (CI's PostgreSQL pass)"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to start a private Redis"),
]

ROOT = Path(__file__).resolve().parent.parent
REDIS_PORT = int(os.environ.get("FAULT_REDIS_PORT", "6391"))
PASSWORD = "correct horse battery"


# --- a private Redis, a slow SMTP server, real workers ------------------------------------------

class PrivateRedis:
    """redis-server on its own port, a child of this test (stop() kills only it)."""

    def __init__(self, port: int):
        self.port, self.process = port, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis():
    server = PrivateRedis(REDIS_PORT)
    server.start()
    yield server
    server.stop()


class _SlowHandler(_Handler):
    """Holds each message a moment after its DATA before it accepts it, so
    that a worker can be killed between sending an email and hearing "250"."""

    def _read_data(self) -> bytes:
        content = super()._read_data()
        time.sleep(self.server.delay)
        return content


class SlowSink(SMTPSink):
    def __init__(self, delay: float):
        import socketserver

        socketserver.ThreadingTCPServer.__init__(self, ("127.0.0.1", 0), _SlowHandler)
        self.messages, self.port, self.delay = [], self.server_address[1], delay
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def keys(self, known: list[str]) -> list[str]:
        """The idempotency key of each message received (from its X-Idempotency-Key or its Message-ID,
        where the key may appear with its colons as dots): one entry per message."""
        patterns = {key: re.compile("(" + re.escape(key) + "|" + re.escape(key.replace(":", ".")) + r")(?![0-9])")
                    for key in known}
        found = []
        for envelope in list(self.messages):
            headers = envelope.content.decode("utf-8", "replace").replace("\r\n", "\n").split("\n\n", 1)[0]
            found += [key for key, pattern in patterns.items() if pattern.search(headers)][:1]
        return found


def _worker_env(redis_url: str, sink_port: int) -> dict:
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "REDIS_URL": redis_url, "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(sink_port), "SECRET_KEY": "fault-tests", "OUTBOX_DISPATCH": "manual",
           "UPLOAD_DIR": tempfile.mkdtemp(prefix="fault-uploads-"), "APP_ENV": "development"}
    env.pop("TEST_DATABASE_URL", None)
    return env


class Worker:
    """`celery -A worker worker` as a subprocess (this test's own: killed by its pid)."""

    def __init__(self, env: dict, name: str):
        self.env, self.name, self.process = env, name, None

    def start(self) -> None:
        celery = str(Path(sys.executable).parent / "celery")
        self.process = subprocess.Popen(
            [celery, "-A", "worker", "worker", "-Q", "mail,scheduler,default", "--pool", "solo",
             "--concurrency", "1", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"{self.name}-{uuid.uuid4().hex[:6]}@%h", "--loglevel", "WARNING"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


@contextmanager
def workers(env: dict, count: int = 1):
    started = [Worker(env, f"fault{i}") for i in range(count)]
    for worker in started:
        worker.start()
    try:
        yield started
    finally:
        for worker in started:
            worker.kill()


def _send_task(redis_url: str, name: str, queue: str) -> None:
    from celery import Celery

    client = Celery("fault-client", broker=redis_url)
    client.conf.broker_connection_retry_on_startup = True
    client.send_task(name, queue=queue)
    client.close()


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _eventually(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _outbox_statuses() -> dict[str, int]:
    from core.models import OutboxEmail

    db.session.rollback()
    rows = db.session.execute(sa.select(OutboxEmail.status, sa.func.count()).group_by(OutboxEmail.status)).all()
    return {str(status.value if hasattr(status, "value") else status): count for status, count in rows}


def _expire_sending_leases() -> int:
    """Make every `sending` claim look an hour old (the worker died long ago),
    whatever the lease is called (claimed_at, or a lease-until column)."""
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("outbox_emails")}
    changes = ["claimed_at = now() - interval '1 hour'"] if "claimed_at" in columns else []
    changes += [f"{name} = now() - interval '1 hour'" for name in ("lease_until", "lease_expires_at", "leased_until")
                if name in columns]
    with db.engine.begin() as conn:
        return conn.execute(sa.text(f"UPDATE outbox_emails SET {', '.join(changes)} WHERE status = 'sending'")).rowcount


# --- Redis stopped ----------------------------------------------------------------------------

def test_redis_stopped_during_submissions_sign_in_transitions_and_messages(app, private_redis, make_user,
                                                                           make_proposal):
    from core.models import Event, OutboxEmail
    from proposals import operations
    from proposals.models import Assignment, Proposal, State

    statuses: list[tuple[str, int]] = []

    def record(what: str, response) -> None:
        statuses.append((what, response.status_code))

    celery = {**app_config()["CELERY"], "broker_url": private_redis.url, "task_always_eager": False,
              "broker_connection_timeout": 1, "broker_connection_max_retries": 1}
    try:
        with other_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=private_redis.url, REDIS_URL=private_redis.url,
                       CELERY=celery, OUTBOX_DISPATCH="after_commit") as application:
            window, staff = make_user("window", "jichi"), make_user("department_staff", "kankyo")
            applicant = make_user("applicant", email=f"redis-{uuid.uuid4().hex[:6]}@example.jp")
            assigned = make_proposal()
            operations.assign(assigned, department_id("kankyo"), [], Actor.of_user(window))
            db.session.commit()
            assigned_id = assigned.id  # the object is detached once the inner app is gone
            client = application.test_client()
            sign_in(client, applicant)
            record("new draft (Redis up)", response := client.post("/proposals/new", data={"organisation": "new"}))
            draft_id = int(response.headers["Location"].split("/")[2])
            for step in range(1, 6):
                record(f"step {step} (Redis up)", client.post(f"/proposals/{draft_id}/step/{step}",
                                                               data=VALID_STEPS[step]))

            private_redis.stop()  # --- Redis is gone from here on

            record("submit", client.post(f"/proposals/{draft_id}/review", data={"consent_privacy": "y"}))
            draft = db.session.get(Proposal, draft_id)
            record("message", client.post(f"/my/proposals/{draft.reference}/messages",
                                          data={"body": "Redis が止まっていても届きますか。"}))
            anonymous = application.test_client()
            record("/signin", anonymous.post("/signin", data={"email": applicant.email}))
            staff_client = application.test_client()
            record("/staff/login", staff_client.post("/staff/login", data={"email": staff.email,
                                                                            "password": PASSWORD}))
            record("acknowledge", staff_client.post(f"/inbox/proposals/{assigned.id}/acknowledge",
                                                    data={"ack-note": "確認しました。"}))
            window_client = application.test_client()
            record("window /staff/login", window_client.post("/staff/login", data={"email": window.email,
                                                                                   "password": PASSWORD}))

            private_redis.start()  # --- back again
            record("message after Redis is back", client.post(f"/my/proposals/{draft.reference}/messages",
                                                              data={"body": "戻りました。"}))
    finally:
        app.extensions["celery"].set_default()  # the session app's Celery (eager) is the default again

    server_errors = [(what, status) for what, status in statuses if status >= 500]
    assert not server_errors, f"5xx while Redis was down: {server_errors}"
    db.session.expire_all()
    # A column read, not the object: the inner app's session left a detached Proposal in the identity map.
    submitted_state = db.session.scalar(sa.select(Proposal.state).where(Proposal.id == draft_id))
    assert submitted_state != State.DRAFT, "the submission was lost"
    lead = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == assigned_id))
    assert lead.acknowledged_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.kind == "assignment_acknowledged", Event.proposal_id == assigned_id)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.proposal_id == draft_id, Event.kind == "state_changed")) >= 1
    # The emails wait in the outbox for the sweep (the broker was down when they were queued).
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) > 0


# --- the worker killed mid-send ---------------------------------------------------------------

def test_a_worker_killed_mid_send_loses_no_email(app, private_redis):
    from core.outbox import queue_email

    emails = 40
    keys = [f"fault:kill:{number}" for number in range(emails)]
    for number, key in enumerate(keys):
        queue_email(f"person{number}@example.jp", f"件名 {number}", "本文", key=key)
    db.session.commit()
    with SlowSink(delay=0.15) as sink:
        env = _worker_env(private_redis.url, sink.port)
        with workers(env) as [worker]:
            _send_task(private_redis.url, "outbox.deliver", "mail")
            _wait_for(lambda: len(sink.messages) >= 8 and _outbox_statuses().get("sending", 0) >= 1, 120,
                      "the worker to be sending")
            worker.kill()  # SIGKILL, mid-send
        mid_send = _outbox_statuses().get("sending", 0)
        time.sleep(sink.delay + 0.5)  # the SMTP server finishes accepting what it had received
        accepted_before_restart = set(sink.keys(keys))
        _expire_sending_leases()  # the lease of the dead worker's claim has run out
        with workers(env):
            _send_task(private_redis.url, "outbox.deliver", "mail")
            done = _eventually(lambda: len(set(sink.keys(keys))) >= emails
                               and _outbox_statuses().get("sent", 0) == emails, 90)
        received = sink.keys(keys)
    duplicates = len(received) - len(set(received))
    lost = emails - len(set(received))
    rows = _outbox_statuses()
    print(f"\nworker killed mid-send: {emails} emails, {mid_send} mid-send at the kill, lost {lost}, "
          f"duplicated {duplicates} (accepted by SMTP before the kill: {len(accepted_before_restart)}); "
          f"rows after the restart: {rows}")
    assert mid_send >= 1
    assert lost == 0
    assert done and rows.get("sent", 0) == emails, f"rows left unsent after the restart: {rows}"
    # Only an email that was mid-send, and already accepted by the SMTP server, may arrive twice.
    assert duplicates <= mid_send


# --- the database connection killed mid-request ------------------------------------------------

def _terminate_on(statement_prefix: str):
    """Before the first statement starting with `statement_prefix`, kill that
    connection's PostgreSQL backend from another connection."""
    import psycopg

    fired = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if fired or not statement.lstrip().upper().startswith(statement_prefix):
            return
        fired.append(statement)
        pid = cursor.connection.info.backend_pid
        with psycopg.connect(DATABASE_URL, autocommit=True) as killer:
            killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.2)

    return before_cursor_execute, fired


def test_the_database_connection_killed_mid_request_gives_a_clean_503_and_no_half_state(
        app, make_user, make_proposal):
    from core.models import Event
    from proposals import operations
    from proposals.models import Assignment

    window, staff = make_user("window", "jichi"), make_user("department_staff", "kankyo")
    proposal = make_proposal(title="秘密のタイトル XYZZY")
    operations.assign(proposal, department_id("kankyo"), [], Actor.of_user(window))
    db.session.commit()
    client = app.test_client()
    sign_in(client, staff)
    listener, fired = _terminate_on("INSERT INTO EVENTS")
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.post(f"/inbox/proposals/{proposal.id}/acknowledge", data={"ack-note": "確認しました。"})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert fired, "the connection was not killed"
    html = response.get_data(as_text=True)
    assert response.status_code == 503, response.status_code
    assert "XYZZY" not in html and "Traceback" not in html and "psycopg" not in html.lower()
    db.session.rollback()
    db.session.expire_all()
    lead = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id))
    assert lead.acknowledged_at is None, "half-written: acknowledged without its event"
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.kind == "assignment_acknowledged"))
    retry = client.post(f"/inbox/proposals/{proposal.id}/acknowledge", data={"ack-note": "確認しました。"})
    assert retry.status_code == 302
    db.session.expire_all()
    assert db.session.get(Assignment, lead.id).acknowledged_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.kind == "assignment_acknowledged")) == 1


# --- two beats at once ------------------------------------------------------------------------

RUNGS = 20 * 2 * 2  # 20 assignments (10 leads, 10 co) × (acknowledgement, answer) × (overdue, second)


def test_two_beats_at_once_fire_each_rung_once_and_send_each_email_once(app, private_redis, make_user,
                                                                        make_proposal):
    from core.models import Event, OutboxEmail
    from proposals import operations
    from responses.deadlines import clock
    from responses.models import Escalation

    window = make_user("window", "jichi")
    make_user("department_manager", "kankyo")
    make_user("department_staff", "ward-miyamae")
    # Assigned 90 days ago: both deadlines of every assignment are past their second level today
    # (20 + 5 business days fit in 90 calendar days even across Golden Week or the year end).
    with clock.frozen(clock.now() - timedelta(days=90)):
        for _ in range(10):
            operations.assign(make_proposal(), department_id("ward-miyamae"), [department_id("kankyo")],
                              Actor.of_user(window))
        db.session.commit()
    already_queued = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))
    with SMTPSink() as sink:
        env = _worker_env(private_redis.url, sink.port)
        with workers(env, count=2):
            for _ in range(2):  # two beats at once: each worker takes one sweep
                _send_task(private_redis.url, "deadlines.sweep", "scheduler")
            _wait_for(lambda: db.session.rollback() or db.session.scalar(
                sa.select(sa.func.count()).select_from(Escalation)) >= RUNGS, 120, "the sweeps")
            time.sleep(2)  # let the slower sweep finish too
            for _ in range(2):
                _send_task(private_redis.url, "outbox.deliver", "mail")
            total = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))
            _wait_for(lambda: _outbox_statuses().get("sent", 0) == total, 120, "every email to be sent")
        keys = db.session.scalars(sa.select(OutboxEmail.idempotency_key)).all()
        received = SlowSink.keys(sink, keys)
    rungs = db.session.scalar(sa.select(sa.func.count()).select_from(Escalation))
    events = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.kind.startswith("deadline_")))
    print(f"\ntwo beats at once: {rungs} rungs, {events} events, {total - already_queued} escalation emails, "
          f"{len(received)} received, {len(received) - len(set(received))} duplicated")
    assert rungs == RUNGS
    assert events == rungs
    assert len(received) == len(set(received)) == total
