"""Tables of the intake room: invitations to join an organisation."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import UTCDateTime, utcnow
from core.extensions import db
from core.models import Organisation, User


class Invitation(db.Model):
    """A member invites a colleague by email; the emailed one-time link
    (only its hash is stored) adds them to the organisation."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])

    __table_args__ = (
        sa.CheckConstraint("accepted_at IS NULL OR accepted_by_id IS NOT NULL", name="accepted_has_user"),
    )
