"""Evaluations of adopted proposals (評価・検証): one per proposal, entered by
the lead department or the window (public room, /evaluations), shown in the
catalogue and on a published group's page. Part of the aggregate because two
rooms read them (public, groups)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, UTCDateTime, str_enum, utcnow
from core.extensions import db
from proposals.models import Proposal


class ExitReached(enum.StrEnum):
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    UNDECIDED = "undecided"


class ReviewDecision(enum.StrEnum):
    """The three-year review (評価・検証): what happens to the collaboration next."""

    CONTINUE = "continue"
    COMMISSION = "commission"  # hand over to a commission (委託へ移行)
    END = "end"


class Evaluation(db.Model):
    """Evaluation of an adopted proposal, one per proposal, entered by the
    lead department or the window. Shown publicly when the proposal is
    published in the catalogue."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), unique=True)
    implementation_start: Mapped[Optional[date]]
    implementation_end: Mapped[Optional[date]]
    # [{"name": "参加者数", "target": "年300人", "actual": "年412人"}, …]
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    exit_reached: Mapped[ExitReached] = mapped_column(
        str_enum(ExitReached, "evaluation_exit_reached"), default=ExitReached.UNDECIDED
    )
    exit_note: Mapped[str] = mapped_column(sa.Text, default="")
    review_decision: Mapped[Optional[ReviewDecision]] = mapped_column(
        str_enum(ReviewDecision, "evaluation_review_decision")
    )
    reviewed_on: Mapped[Optional[date]]
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    department_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("departments.id"))
    updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    proposal: Mapped[Proposal] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "implementation_end IS NULL OR implementation_start IS NULL OR implementation_end >= implementation_start",
            name="implementation_ordered",
        ),
        sa.CheckConstraint("review_decision IS NULL OR reviewed_on IS NOT NULL", name="decision_has_date"),
    )
