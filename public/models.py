"""Tables of the public room: expressions of interest between partners.
Evaluations live in proposals/evaluations.py (the groups room reads them
too); they are imported here so the room's modules keep one place to ask."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, UTCDateTime, str_enum, utcnow
from core.extensions import db
from core.models import OrganisationKind, User
from proposals.evaluations import Evaluation, ExitReached, ReviewDecision  # noqa: F401  (moved down: groups read them too)
from proposals.models import Proposal


class InterestStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"  # both agreed: contacts exchanged by email
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class PartnerInterest(db.Model):
    """An organisation's interest in partnering on a published proposal.

    The contact details of either side stay hidden from the other until
    the proposing organisation accepts (the interested side agreed when it
    wrote); then both get an email with the other's contact."""

    __tablename__ = "partner_interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organisation_name: Mapped[str] = mapped_column(sa.String(200))
    organisation_kind: Mapped[OrganisationKind] = mapped_column(
        str_enum(OrganisationKind, "partner_interest_organisation_kind")
    )
    offer: Mapped[str] = mapped_column(sa.Text)
    # Personal data: revealed to the proposing organisation only after it accepts.
    contact_name: Mapped[str] = mapped_column(sa.String(200))
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    contact_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    status: Mapped[InterestStatus] = mapped_column(
        str_enum(InterestStatus, "partner_interest_status"), default=InterestStatus.PENDING, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    responded_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    proposal: Mapped[Proposal] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        # One live interest per person and proposal.
        sa.Index(
            "uq_partner_interests_live",
            "proposal_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("status IN ('pending', 'accepted')"),
            postgresql_where=sa.text("status IN ('pending', 'accepted')"),
        ),
        sa.CheckConstraint("status = 'pending' OR responded_at IS NOT NULL", name="responded_has_time"),
    )


class StatsSnapshot(db.Model):
    """A figure of /stats as last computed (public.statistics.cached): the page
    reads these few rows instead of counting every proposal; the beat task
    public.refresh_stats recomputes them every few minutes."""

    __tablename__ = "stats_snapshots"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 0: every year
    value: Mapped[Any] = mapped_column(JSONType)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
