"""The notification outbox (transactional outbox).

queue_email() writes the email in the same transaction as the change that
causes it. After the commit, a Celery task delivers it; when the broker is
down the request still succeeds and the periodic sweep sends it later.

Delivery claims a row (status pending -> sending, committed, with a lease)
before it talks to SMTP, so two workers never send the same row at once. A
worker killed mid-send leaves the row in `sending`; once the lease expires
the sweep claims it again, so the email is not lost. If the SMTP server had
already accepted it, the second copy carries the same Message-ID (the
idempotency key), so mail systems and readers can see it is the same email.
Rows that keep failing end `failed`; administrators see those and the
stuck ones at /admin/outbox and can resend them.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from core.audit import Actor, record_event
from core.bulk import insert_rows
from core.columns import utcnow
from core.email_html import html_part
from core.extensions import db
from core.models import OutboxEmail, OutboxStatus
from core.tasks import deliver_outbox

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Longer than one SMTP conversation can take (20 s timeout per step), so a
# live worker's claim never expires under it.
LEASE = timedelta(minutes=10)


class _Quiet:
    """While the demo replays past histories, nobody is to be emailed about
    them: queue_email keeps nothing (the rooms' notification code runs as
    for any change, so the replay exercises it, but the outbox stays empty)."""

    def __init__(self):
        self.on = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        previous, self.on = self.on, True
        try:
            yield
        finally:
            self.on = previous


quiet = _Quiet()


def queue_email(
    to: str, subject: str, body: str, *, key: str, locale: str = "ja", proposal_id: int | None = None
) -> OutboxEmail:
    """Queue one email. The same `key` queues nothing new (idempotent).
    Inside `quiet()`, the email is built but not kept (not added to the session)."""
    if quiet.on:
        return OutboxEmail(idempotency_key=key, to_address=to, subject=subject, body_text=body, locale=locale,
                           proposal_id=proposal_id)
    existing = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key == key))
    if existing is not None:
        return existing
    email = OutboxEmail(
        idempotency_key=key, to_address=to, subject=subject, body_text=body, locale=locale, proposal_id=proposal_id
    )
    db.session.add(email)
    db.session.flush()
    db.session.info["outbox_dirty"] = True
    return email


def queue_emails(rows: list[dict]) -> int:
    """Queue many emails in a few statements (the deadline sweep's), each
    row as queue_email's arguments (idempotency_key, to_address, subject,
    body_text, locale, proposal_id). A key already queued queues nothing
    new: INSERT … ON CONFLICT DO NOTHING, decided by the unique index, so
    no lookup per email (whose plan could go stale as the table grows);
    one statement for them all on PostgreSQL (core.bulk).
    Inside `quiet()` nothing is kept, as with queue_email."""
    if not rows or quiet.on:
        return len(rows)
    now = utcnow()
    defaults = {"locale": "ja", "proposal_id": None, "status": OutboxStatus.PENDING, "attempts": 0, "created_at": now}
    insert_rows(OutboxEmail.__table__, [{**defaults, **row} for row in rows], on_conflict=["idempotency_key"])
    db.session.info["outbox_dirty"] = True
    return len(rows)


def queue_templated_email(
    to: str, template: str, *, key: str, locale: str = "ja", proposal_id: int | None = None, **context
) -> OutboxEmail:
    """Render templates/email/<template>.txt in the recipient's language.
    The template's first line is `Subject: …`."""
    if quiet.on:  # nothing will be sent: spare the rendering
        return queue_email(to, "", "", key=key, locale=locale, proposal_id=proposal_id)
    with force_locale(locale):
        rendered = render_template(
            f"email/{template}.txt", base_url=current_app.config["BASE_URL"], **context
        )
    first_line, _, body = rendered.lstrip().partition("\n")
    subject = first_line.removeprefix("Subject:").strip()
    return queue_email(to, subject, body.lstrip("\n"), key=key, locale=locale, proposal_id=proposal_id)


def _dispatch_after_commit(session: Session) -> None:
    if not session.info.pop("outbox_dirty", False):
        return
    app = current_app._get_current_object()
    if app.config["OUTBOX_DISPATCH"] != "after_commit":
        return
    try:
        # One quick retry, not Celery's default three: with the broker down
        # the request must not wait, the sweep sends the email later.
        deliver_outbox.apply_async(retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.1})
    except Exception:  # broker down: the periodic sweep sends it later
        log.warning("could not dispatch outbox delivery; the sweep will send it", exc_info=True)


def _after_commit(session: Session) -> None:
    _dispatch_after_commit(session)


def _after_rollback(session: Session) -> None:
    session.info.pop("outbox_dirty", None)


def install_outbox_hooks() -> None:
    """Listen on Flask-SQLAlchemy's session (once, however many apps are made)."""
    for name, listener in (("after_commit", _after_commit), ("after_rollback", _after_rollback)):
        if not sa_event.contains(db.session, name, listener):
            sa_event.listen(db.session, name, listener)


def _claimable(now):
    """Pending rows, and rows whose claim has lapsed (the worker died)."""
    lapsed = sa.and_(
        OutboxEmail.status == OutboxStatus.SENDING,
        sa.or_(OutboxEmail.lease_expires_at.is_(None), OutboxEmail.lease_expires_at < now),
        OutboxEmail.attempts < MAX_ATTEMPTS,
    )
    return sa.or_(OutboxEmail.status == OutboxStatus.PENDING, lapsed)


def _claim(row_id: int) -> OutboxEmail | None:
    """Move one claimable row to `sending` with a lease, in its own committed transaction."""
    now = utcnow()
    with Session(db.engine, expire_on_commit=False) as session, session.begin():
        result = session.execute(
            sa.update(OutboxEmail)
            .where(OutboxEmail.id == row_id, _claimable(now))
            .values(status=OutboxStatus.SENDING, claimed_at=now, lease_expires_at=now + LEASE,
                    attempts=OutboxEmail.attempts + 1)
        )
        if result.rowcount != 1:
            return None  # another worker claimed it
        return session.get(OutboxEmail, row_id)


def _finish(row_id: int, *, error: str | None, transport: str, attempts: int) -> None:
    with Session(db.engine) as session, session.begin():
        row = session.get(OutboxEmail, row_id)
        row.lease_expires_at = None
        if error is None:
            row.status, row.sent_at, row.transport, row.last_error = OutboxStatus.SENT, utcnow(), transport, None
        else:
            # A refused connection is safe to retry: nothing was sent.
            row.status = OutboxStatus.PENDING if attempts < MAX_ATTEMPTS else OutboxStatus.FAILED
            row.last_error = error


def message_id(key: str, mail_from: str) -> str:
    """The idempotency key as the Message-ID: the same email sent twice (a
    worker killed after the server accepted it) has the same id. Characters
    a Message-ID may not hold are %-escaped, so distinct keys stay distinct."""
    domain = mail_from.rpartition("@")[2] or "localhost"
    return f"<{quote(key, safe='-_')}@{domain}>"


def _send_smtp(row: OutboxEmail) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = message_id(row.idempotency_key, config["MAIL_FROM"])
    message["X-Idempotency-Key"] = row.idempotency_key
    message.set_content(row.body_text)
    # The same words as HTML, for mail readers that show it (links and the button to press).
    message.add_alternative(html_part(row.subject, row.body_text, row.locale), subtype="html")
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def deliver_one(row_id: int) -> bool:
    row = _claim(row_id)
    if row is None:
        return False
    transport = "smtp" if current_app.config["MAIL_SERVER"] else "outbox"
    error = None
    if transport == "smtp":
        try:
            _send_smtp(row)
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
    _finish(row_id, error=error, transport=transport, attempts=row.attempts)
    return error is None


def deliver_pending(limit: int = 200) -> int:
    """Deliver what is pending or whose claim lapsed; returns how many were sent."""
    with Session(db.engine) as session:
        ids = session.scalars(
            sa.select(OutboxEmail.id).where(_claimable(utcnow())).order_by(OutboxEmail.id).limit(limit)
        ).all()
    return sum(1 for row_id in ids if deliver_one(row_id))


def stuck_rows() -> list[OutboxEmail]:
    """Claimed, never finished and no longer re-claimed by the sweep (the
    lease lapsed after the last attempt): shown to administrators."""
    return db.session.scalars(
        sa.select(OutboxEmail).where(
            OutboxEmail.status == OutboxStatus.SENDING,
            sa.or_(OutboxEmail.lease_expires_at.is_(None), OutboxEmail.lease_expires_at < utcnow()),
        ).order_by(OutboxEmail.id)
    ).all()


def failed_rows() -> list[OutboxEmail]:
    return db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.status == OutboxStatus.FAILED).order_by(OutboxEmail.id)
    ).all()


class NotResendable(Exception):
    """Only a failed email, or one stuck in `sending`, can be sent again."""


def resend(email: OutboxEmail, actor: Actor):
    """An administrator sends a failed or stuck email again: back to
    pending with fresh attempts; the sweep (or the dispatch after the
    commit) sends it. The same idempotency key, so the same Message-ID."""
    stuck = email.status == OutboxStatus.SENDING and (
        email.lease_expires_at is None or email.lease_expires_at < utcnow())
    if email.status != OutboxStatus.FAILED and not stuck:
        raise NotResendable(email.status.value)
    previous = email.status.value
    email.status, email.attempts, email.lease_expires_at = OutboxStatus.PENDING, 0, None
    db.session.flush()
    db.session.info["outbox_dirty"] = True
    return record_event(actor, "outbox_resent", proposal_id=email.proposal_id,
                        data={"email_id": email.id, "previous_status": previous,
                              "last_error": email.last_error})
