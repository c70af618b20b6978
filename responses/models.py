"""Tables of the responses room: escalations (one row per assignment,
deadline, due date and level — the unique key that makes every level fire
exactly once), answer templates per department, the heads of bureaus
and wards who receive the second escalation level, and the waits on the
window or the applicant with their own ladder (proposal_waits,
wait_escalations)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import UTCDateTime, str_enum, utcnow
from core.extensions import db
from core.models import Department, User


class DeadlineKind(enum.StrEnum):
    ACK = "ack"  # 受領・検討開始
    ANSWER = "answer"  # substantive answer (採択・不採択, or a co-department's opinion)


class EscalationLevel(enum.StrEnum):
    REMINDER = "reminder"  # before the deadline, to the department
    OVERDUE = "overdue"  # at the breach, to the department's managers and the window
    SECOND = "second"  # later, to the head of the bureau or ward and the window's manager


class Escalation(db.Model):
    """One rung of the ladder, fired once. The unique key (assignment,
    deadline kind, due date, level) is what makes a second or concurrent
    sweep a no-op; a due date moved by a pause is a new deadline."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id"), index=True)
    deadline_kind: Mapped[DeadlineKind] = mapped_column(str_enum(DeadlineKind, "deadline_kind"))
    due_on: Mapped[date]
    level: Mapped[EscalationLevel] = mapped_column(str_enum(EscalationLevel, "escalation_level"))
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    recipients: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (
        sa.UniqueConstraint("assignment_id", "deadline_kind", "due_on", "level", name="uq_escalations_once"),
    )


class AnswerKind(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    MEETING = "meeting"
    REQUEST_INFO = "request_info"
    NOT_OURS = "not_ours"
    ADOPT = "adopt"
    NOT_ADOPT = "not_adopt"
    OPINION = "opinion"


class AnswerTemplate(db.Model):
    """A department's ready-made wording for one kind of answer."""

    __tablename__ = "answer_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    kind: Mapped[AnswerKind] = mapped_column(str_enum(AnswerKind, "answer_kind"))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    department: Mapped[Department] = relationship()


class DepartmentHead(db.Model):
    """The head of a bureau or ward (局長・区長) or whoever stands in for
    them: the second escalation level goes here. Without a head on record
    it goes to the department's managers."""

    __tablename__ = "department_heads"

    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship()
    user: Mapped[User] = relationship()


class WaitKind(enum.StrEnum):
    TRIAGE = "triage"  # the window owes the routing (submitted, triage — also after a hand-back)
    APPLICANT = "applicant"  # the applicant owes an answer to a question (info_requested)


class Wait(db.Model):
    """A proposal waiting on someone other than a department: the window
    (triage) or the applicant (info_requested). Opened and closed in the
    same transaction as the state change (responses.deadlines.on_transitioned);
    the sweep fires its ladder (WaitEscalation), so no proposal waits forever."""

    __tablename__ = "proposal_waits"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    kind: Mapped[WaitKind] = mapped_column(str_enum(WaitKind, "wait_kind"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Who asked the applicant: the lead department, or None when the window asked (from triage).
    department_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("departments.id"))

    department: Mapped[Optional[Department]] = relationship()

    __table_args__ = (
        # One open wait per proposal.
        sa.Index(
            "uq_proposal_waits_open",
            "proposal_id",
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        ),
    )


class WaitEscalation(db.Model):
    """One rung of a wait's ladder, fired once: the unique key (wait, level)
    makes a second or concurrent sweep a no-op, as for assignments."""

    __tablename__ = "wait_escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    wait_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal_waits.id"), index=True)
    level: Mapped[EscalationLevel] = mapped_column(str_enum(EscalationLevel, "wait_escalation_level"))
    due_on: Mapped[date]
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    recipients: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (sa.UniqueConstraint("wait_id", "level", name="uq_wait_escalations_once"),)
