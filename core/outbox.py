"""The notification outbox (transactional outbox).

queue_email() writes the email in the same transaction as the change that
causes it. After the commit, a Celery task delivers it; when the broker is
down the request still succeeds and the periodic sweep sends it later.

Delivery claims a row (status pending -> sending, committed) before it
talks to SMTP, so two workers never send the same row, and a crash in the
middle leaves the row in `sending` for an administrator to look at rather
than sending it twice.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from core.extensions import db
from core.models import OutboxEmail, OutboxStatus, utcnow
from core.tasks import deliver_outbox

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def queue_email(
    to: str, subject: str, body: str, *, key: str, locale: str = "ja", proposal_id: int | None = None
) -> OutboxEmail:
    """Queue one email. The same `key` queues nothing new (idempotent)."""
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


def queue_templated_email(
    to: str, template: str, *, key: str, locale: str = "ja", proposal_id: int | None = None, **context
) -> OutboxEmail:
    """Render templates/email/<template>.txt in the recipient's language.
    The template's first line is `Subject: …`."""
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


def _claim(row_id: int) -> OutboxEmail | None:
    """Move one pending row to `sending` in its own committed transaction."""
    with Session(db.engine, expire_on_commit=False) as session, session.begin():
        result = session.execute(
            sa.update(OutboxEmail)
            .where(OutboxEmail.id == row_id, OutboxEmail.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENDING, claimed_at=utcnow(), attempts=OutboxEmail.attempts + 1)
        )
        if result.rowcount != 1:
            return None  # another worker claimed it
        return session.get(OutboxEmail, row_id)


def _finish(row_id: int, *, error: str | None, transport: str, attempts: int) -> None:
    with Session(db.engine) as session, session.begin():
        row = session.get(OutboxEmail, row_id)
        if error is None:
            row.status, row.sent_at, row.transport, row.last_error = OutboxStatus.SENT, utcnow(), transport, None
        else:
            # A refused connection is safe to retry: nothing was sent.
            row.status = OutboxStatus.PENDING if attempts < MAX_ATTEMPTS else OutboxStatus.FAILED
            row.last_error = error


def _send_smtp(row: OutboxEmail) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(idstring=row.idempotency_key.replace(":", ".")[:60])
    message["X-Idempotency-Key"] = row.idempotency_key
    message.set_content(row.body_text)
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
    """Deliver what is pending; returns how many were sent."""
    with Session(db.engine) as session:
        ids = session.scalars(
            sa.select(OutboxEmail.id)
            .where(OutboxEmail.status == OutboxStatus.PENDING)
            .order_by(OutboxEmail.id)
            .limit(limit)
        ).all()
    return sum(1 for row_id in ids if deliver_one(row_id))


def stuck_rows(older_than: timedelta = timedelta(minutes=10)) -> list[OutboxEmail]:
    """Rows claimed long ago and never finished: shown to administrators."""
    return db.session.scalars(
        sa.select(OutboxEmail).where(
            OutboxEmail.status == OutboxStatus.SENDING, OutboxEmail.claimed_at < utcnow() - older_than
        )
    ).all()
