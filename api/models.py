"""API tokens, idempotency keys and webhook subscriptions.

A token is personal (it acts as its user, within the user's departments or
organisations), scoped (read, act), expiring and revocable; only a SHA-256
digest is stored, the token itself is shown once."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, UTCDateTime, str_enum, utcnow
from core.extensions import db
from core.models import User

TOKEN_PREFIX = "kwt_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters, to recognise a token in the list without storing it.
    hint: Mapped[str] = mapped_column(sa.String(16))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # "read" or "read,act"; tokens made before scopes existed read only.
    scopes: Mapped[str] = mapped_column(sa.String(40), default="read", server_default="read")
    expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in (self.scopes or "").split(",") if s)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


SCOPES = ("read", "act")


class IdempotencyKey(db.Model):
    """The answer to a create made with an Idempotency-Key header, kept so a
    retried request gets the same answer instead of a second proposal."""

    __tablename__ = "api_idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_tokens.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(200))
    # Method, path and a digest of the body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int]  # 0 while the first request is still running
    body: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    location: Mapped[Optional[str]] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("token_id", "key", name="uq_api_idempotency_token_key"),)


WEBHOOK_EVENTS = ("assigned", "deadline_near", "overdue", "answered", "status_changed")


class WebhookSubscription(db.Model):
    """A URL a department or an organisation wants events POSTed to, signed
    with its own secret (HMAC-SHA256)."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    events: Mapped[list[str]] = mapped_column(JSONType, default=list)
    secret: Mapped[str] = mapped_column(sa.String(100))
    department_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    organisation_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Paused after too many failed deliveries in a row; the owner is told by email.
    paused_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    failures_in_a_row: Mapped[int] = mapped_column(default=0, server_default="0")
    deleted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    created_by: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint("(department_id IS NULL) != (organisation_id IS NULL)", name="one_owner"),
    )


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up (or the subscription was paused)


class WebhookDelivery(db.Model):
    """One event for one subscription: the log, with every attempt counted."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_subscriptions.id"), index=True)
    event: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, "webhook_delivery_status"),
                                                   default=DeliveryStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    last_status_code: Mapped[Optional[int]]
    last_error: Mapped[Optional[str]] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    subscription: Mapped[WebhookSubscription] = relationship()
