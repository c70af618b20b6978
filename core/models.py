"""Core models (their column types in core/columns.py): departments, themes, users, organisations, the event log,
the notification outbox, sign-in tokens and closing days.

The Proposal aggregate lives in proposals/models.py; other rooms add their
own tables in their own packages.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, UTCDateTime, str_enum, utcnow
from core.extensions import db


class DepartmentKind(enum.StrEnum):
    TRIAGE = "triage"
    BUREAU = "bureau"
    WARD = "ward"


class Department(db.Model):
    """A bureau, ward office or the window. Codes never change; names do.

    A merged department keeps its row (and so its history) and points at
    the department that took over its work.
    """

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[DepartmentKind] = mapped_column(str_enum(DepartmentKind, "department_kind"))
    name_ja: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    retired_on: Mapped[Optional[date]]
    merged_into_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("departments.id"))
    # Business days to acknowledge / answer; NULL means the city default.
    ack_business_days: Mapped[Optional[int]]
    answer_business_days: Mapped[Optional[int]]
    # Publish a named contact to applicants only when the department chooses.
    public_contact: Mapped[Optional[str]] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    merged_into: Mapped[Optional["Department"]] = relationship(remote_side=[id])
    names: Mapped[list["DepartmentName"]] = relationship(
        back_populates="department", order_by="DepartmentName.valid_from", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("active OR retired_on IS NOT NULL", name="retired_has_date"),
    )

    def name(self, locale: str = "ja") -> str:
        return self.name_en if locale == "en" else self.name_ja

    def area_name(self, locale: str = "ja") -> str:
        """A ward office's area: 宮前区役所 -> 宮前区, Miyamae Ward Office -> Miyamae Ward."""
        if self.kind != DepartmentKind.WARD:
            return self.name(locale)
        return self.name_en.removesuffix(" Office") if locale == "en" else self.name_ja.removesuffix("役所")

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class DepartmentName(db.Model):
    """Every name a department has had, so history shows the name of its day."""

    __tablename__ = "department_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    name_ja: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    valid_from: Mapped[date]
    valid_to: Mapped[Optional[date]]

    department: Mapped[Department] = relationship(back_populates="names")


class Theme(db.Model):
    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name_ja: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    owner_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("departments.id"))
    ward_level: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    owner: Mapped[Optional[Department]] = relationship()

    def name(self, locale: str = "ja") -> str:
        return self.name_en if locale == "en" else self.name_ja


class Role(enum.StrEnum):
    APPLICANT = "applicant"
    WINDOW = "window"  # staff of the window (自治推進部): triage
    DEPARTMENT_STAFF = "department_staff"
    DEPARTMENT_MANAGER = "department_manager"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.WINDOW, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_MANAGER, Role.ADMIN})


class User(db.Model):
    """Staff sign in with a password; applicants with an emailed link."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    department_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    password_hash: Mapped[Optional[str]] = mapped_column(sa.String(255))
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Part of every session's user id: signing out or changing the password
    # raises it, so a session cookie copied before then opens nothing.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    locale: Mapped[str] = mapped_column(sa.String(8), default="ja", server_default="ja")
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Per-person email settings: {"public_changes": bool, "messages": bool}.
    notification_settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    department: Mapped[Optional[Department]] = relationship()
    memberships: Mapped[list["Membership"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    __table_args__ = (
        # Department staff and managers always belong to exactly one department.
        sa.CheckConstraint(
            "role NOT IN ('department_staff', 'department_manager', 'window') OR department_id IS NOT NULL",
            name="department_staff_have_department",
        ),
        sa.CheckConstraint("role = 'applicant' OR password_hash IS NOT NULL", name="staff_have_password"),
    )

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # Flask-Login keeps this in the session cookie; core.auth.load_user checks both parts.
        return f"{self.id}:{self.session_version}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_window(self) -> bool:
        return self.role in (Role.WINDOW, Role.ADMIN)

    @property
    def is_window_member(self) -> bool:
        """Window staff, administrators, and the window's managers (staff of the triage department)."""
        return self.is_window or (self.department is not None and self.department.kind == DepartmentKind.TRIAGE)

    def organisation_ids(self) -> set[int]:
        return {m.organisation_id for m in self.memberships}

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class OrganisationKind(enum.StrEnum):
    NPO_CORP = "npo_corp"
    CIVIC_GROUP = "civic_group"
    COMPANY = "company"
    NEIGHBORHOOD_ASSOC = "neighborhood_assoc"
    UNIVERSITY = "university"
    SCHOOL = "school"
    SOCIAL_WELFARE_COUNCIL = "social_welfare_council"
    INTERMEDIARY = "intermediary"
    OTHER = "other"


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_kana: Mapped[Optional[str]] = mapped_column(sa.String(200))
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind, "organisation_kind"))
    city: Mapped[Optional[str]] = mapped_column(sa.String(200))
    corporate_number: Mapped[Optional[str]] = mapped_column(sa.String(13))
    representative: Mapped[Optional[str]] = mapped_column(sa.String(200))
    postal_code: Mapped[Optional[str]] = mapped_column(sa.String(8))
    address: Mapped[Optional[str]] = mapped_column(sa.String(300))
    phone: Mapped[Optional[str]] = mapped_column(sa.String(20))
    website: Mapped[Optional[str]] = mapped_column(sa.String(300))
    founded_year: Mapped[Optional[int]]
    member_count: Mapped[Optional[int]]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(back_populates="organisation", cascade="all, delete-orphan")


class Membership(db.Model):
    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class ActorKind(enum.StrEnum):
    USER = "user"
    RULE = "rule"
    SCHEDULER = "scheduler"
    SYSTEM = "system"


class Event(db.Model):
    """Append-only: the audit log and the proposal timeline in one table.

    `public` events are shown to the applicant; the rest only to staff.
    Events without a proposal record other state changes (a department
    renamed, a ruleset published, a user locked out).
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    proposal_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(64), index=True)
    actor_kind: Mapped[ActorKind] = mapped_column(str_enum(ActorKind, "actor_kind"))
    actor_user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    # Who or what, readable: "ruleset v3 / rule 12", "deadline sweep" …
    actor_label: Mapped[Optional[str]] = mapped_column(sa.String(200))
    department_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("departments.id"))
    from_state: Mapped[Optional[str]] = mapped_column(sa.String(32))
    to_state: Mapped[Optional[str]] = mapped_column(sa.String(32))
    public: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    comment: Mapped[Optional[str]] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    actor_user: Mapped[Optional[User]] = relationship()
    department: Mapped[Optional[Department]] = relationship()

    __table_args__ = (
        sa.CheckConstraint("actor_kind != 'user' OR actor_user_id IS NOT NULL", name="user_actor_has_user"),
    )


class AppendOnlyError(RuntimeError):
    pass


@sa_event.listens_for(Event, "before_update")
def _events_are_append_only(_mapper, _connection, _target):
    raise AppendOnlyError("events are append-only")


@sa_event.listens_for(Event, "before_delete")
def _events_are_never_deleted(_mapper, _connection, _target):
    raise AppendOnlyError("events are append-only")


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker; re-claimed by the sweep once its lease expires
    SENT = "sent"
    FAILED = "failed"


class OutboxEmail(db.Model):
    """Transactional outbox: written with the change that causes the email,
    delivered by a task after the commit. The idempotency key is unique, so
    the same notification is never queued (or sent) twice."""

    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    to_address: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    locale: Mapped[str] = mapped_column(sa.String(8), default="ja")
    proposal_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING, index=True
    )
    transport: Mapped[Optional[str]] = mapped_column(sa.String(16))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[Optional[str]] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # A claim holds the row until then; a worker killed mid-send leaves the
    # row in `sending` and the sweep re-claims it after this moment.
    lease_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("status != 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
    )


class SignInToken(db.Model):
    """A one-time sign-in link for an applicant; only the hash is stored."""

    __tablename__ = "signin_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    next_url: Mapped[Optional[str]] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class ClosedDay(db.Model):
    """Extra days the city offices are closed, added by an administrator
    (public holidays and 12/29-1/3 come from core.calendar)."""

    __tablename__ = "closed_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
