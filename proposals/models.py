"""The Proposal aggregate: proposal, its themes and wards, assignments,
messages and attachments. Fields follow docs/proposal.md."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, UTCDateTime, str_enum, utcnow
from core.extensions import db
from core.models import Department, Organisation, Theme, User


class State(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    TRIAGE = "triage"
    ASSIGNED = "assigned"
    INFO_REQUESTED = "info_requested"
    IN_CONSULTATION = "in_consultation"
    ADOPTED = "adopted"
    NOT_ADOPTED = "not_adopted"
    WITHDRAWN = "withdrawn"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    EVALUATED = "evaluated"
    MERGED = "merged"


class Scope(enum.StrEnum):
    WARD = "ward"
    MULTI_WARD = "multi_ward"
    CITYWIDE = "citywide"
    UNDECIDED = "undecided"


class Stage(enum.StrEnum):
    SEED = "seed"
    ESTABLISHED = "established"


class ExitStrategy(enum.StrEnum):
    POLICY = "policy"
    BUSINESS = "business"
    NATIONAL = "national"
    TIME_LIMITED = "time_limited"
    UNDECIDED = "undecided"


SUPPORT_TYPES = ("funding", "venue", "publicity", "coordination", "co_hosting", "data", "advice")
PARTNER_KINDS = ("city", "company", "npo", "neighborhood_assoc", "university", "school", "social_welfare_council")


# proposals.audiences.published() as SQL, for the partial index a public search's scope reads.
PUBLISHED_PREDICATE = ("consent_publish AND publication_approved AND consent_version IS NOT NULL "
                       "AND state <> 'draft'")
# The states a live (active) assignment's proposal can be in: responses.clock's RUNNING_STATES and
# PAUSED_STATES (tests/test_scaling_indexes.py checks they agree).
LIVE_PREDICATE = "state IN ('assigned', 'in_consultation', 'info_requested', 'triage')"
# The deadline an assignment owes next: acknowledgement, then answer (responses.views._next_due()),
# written as PostgreSQL prints it back, so `flask db check` finds the index unchanged.
NEXT_DUE = ("(\nCASE\n    WHEN acknowledged_at IS NULL THEN ack_due_on\n    WHEN answered_at IS NULL THEN answer_due_on\n"
            "    ELSE NULL\nEND)")


class Proposal(db.Model):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    # KW-2026-000123: prefix, fiscal year of submission, sequence; set on submit.
    reference: Mapped[Optional[str]] = mapped_column(sa.String(32), unique=True)
    fiscal_year: Mapped[Optional[int]] = mapped_column(index=True)
    state: Mapped[State] = mapped_column(str_enum(State, "proposal_state"), default=State.DRAFT, index=True)
    # Bumped by every transition: a form showing version N acts only on N.
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")

    organisation_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"), index=True)

    title: Mapped[str] = mapped_column(sa.String(200), default="")
    summary: Mapped[str] = mapped_column(sa.String(400), default="")
    issue: Mapped[str] = mapped_column(sa.Text, default="")
    activities: Mapped[str] = mapped_column(sa.Text, default="")
    outcomes: Mapped[str] = mapped_column(sa.Text, default="")
    scope: Mapped[Optional[Scope]] = mapped_column(str_enum(Scope, "proposal_scope"))
    stage: Mapped[Optional[Stage]] = mapped_column(str_enum(Stage, "proposal_stage"))
    support_requested: Mapped[list[str]] = mapped_column(JSONType, default=list)
    partners_wanted: Mapped[list[str]] = mapped_column(JSONType, default=list)
    budget_total_yen: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    budget_requested_yen: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    period_start: Mapped[Optional[date]]
    period_end: Mapped[Optional[date]]
    exit_strategy: Mapped[Optional[ExitStrategy]] = mapped_column(str_enum(ExitStrategy, "exit_strategy"))
    exit_note: Mapped[str] = mapped_column(sa.Text, default="")

    # Contact for this proposal (personal data: never public).
    contact_name: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    past_collaboration: Mapped[str] = mapped_column(sa.Text, default="")
    consent_privacy: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    consent_publish: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The version of the publication consent text the applicant agreed to (proposals.visibility
    # CONSENT_VERSIONS): only the fields it named are ever published.
    consent_version: Mapped[Optional[int]]
    # Staff approval for the public catalogue (only with consent_publish).
    publication_approved: Mapped[bool] = mapped_column(default=False, server_default=sa.false(), index=True)
    # Form step the applicant last saved; free-form data for unfinished steps.
    draft_step: Mapped[int] = mapped_column(default=1, server_default="1")
    draft_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    # Routing: the stored decision and the ruleset version that produced it.
    routing_decision: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONType)
    ruleset_version: Mapped[Optional[int]]
    needs_triage: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    triage_confirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    lead_department_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    merged_into_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("proposals.id"))
    # The state to return to when the applicant answers an information request.
    resume_state: Mapped[Optional[State]] = mapped_column(str_enum(State, "proposal_resume_state"))
    decision_reason: Mapped[Optional[str]] = mapped_column(sa.Text)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    organisation: Mapped[Optional[Organisation]] = relationship()
    created_by: Mapped[Optional[User]] = relationship()
    lead_department: Mapped[Optional[Department]] = relationship()
    theme_links: Mapped[list["ProposalTheme"]] = relationship(
        order_by="ProposalTheme.position", cascade="all, delete-orphan"
    )
    ward_links: Mapped[list["ProposalWard"]] = relationship(cascade="all, delete-orphan")
    assignments: Mapped[list["Assignment"]] = relationship(back_populates="proposal", cascade="all, delete-orphan")

    __table_args__ = (
        # A proposal that left the draft state has a reference and a time.
        sa.CheckConstraint(
            "state = 'draft' OR (reference IS NOT NULL AND submitted_at IS NOT NULL)", name="submitted_has_reference"
        ),
        sa.CheckConstraint("state != 'merged' OR merged_into_id IS NOT NULL", name="merged_has_target"),
        sa.CheckConstraint("state != 'info_requested' OR resume_state IS NOT NULL", name="info_request_resumes"),
        sa.CheckConstraint("period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
                           name="period_ordered"),
        sa.CheckConstraint("consent_publish OR NOT publication_approved", name="published_with_consent"),
        # The triage queue's default view (the open ones, oldest first) reads
        # this small index instead of walking every proposal by submitted_at.
        sa.Index("ix_proposals_triage_queue", "submitted_at", "id",
                 sqlite_where=sa.text("state IN ('submitted', 'triage')"),
                 postgresql_where=sa.text("state IN ('submitted', 'triage')")),
        # The catalogue and the partners page: published ones, newest first
        # (approval implies consent, see published_with_consent).
        sa.Index("ix_proposals_published", "submitted_at", "id",
                 sqlite_where=sa.text("publication_approved"), postgresql_where=sa.text("publication_approved")),
        # A public search's scope (proposals.audiences.published with a consent version): read from the
        # index alone, instead of every proposal's row (45 ms at 100,000; docs/search.md).
        sa.Index("ix_proposals_public_search", "id", "consent_version",
                 sqlite_where=sa.text(PUBLISHED_PREDICATE), postgresql_where=sa.text(PUBLISHED_PREDICATE)),
        # The proposals a live assignment can belong to, with their state: the inbox's and the
        # dashboard's counts hash these (about 10,000 at 100,000) instead of reading every proposal.
        sa.Index("ix_proposals_live", "id", "state",
                 sqlite_where=sa.text(LIVE_PREDICATE), postgresql_where=sa.text(LIVE_PREDICATE)),
    )

    @property
    def theme_codes(self) -> list[str]:
        return [link.theme.code for link in self.theme_links]

    @property
    def ward_codes(self) -> list[str]:
        return [link.ward.code for link in self.ward_links]

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.reference} {self.state}>"


class ProposalTheme(db.Model):
    """Themes the applicant picked (0-3), in the order picked."""

    __tablename__ = "proposal_themes"

    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("themes.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)

    theme: Mapped[Theme] = relationship(lazy="joined")


class ProposalWard(db.Model):
    """Wards where the activity takes place (ward offices in departments)."""

    __tablename__ = "proposal_wards"

    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), primary_key=True, index=True)

    ward: Mapped[Department] = relationship(lazy="joined")


class AssignmentRole(enum.StrEnum):
    LEAD = "lead"
    CO = "co"


class AssignmentStatus(enum.StrEnum):
    ACTIVE = "active"
    RETURNED = "returned"  # "not ours": sent back to triage with a reason
    CLOSED = "closed"  # the proposal reached an outcome or was withdrawn


class Assignment(db.Model):
    """A proposal handed to a department, as lead or co-department.

    Deadlines live here, in indexed columns, so the sweep finds what is
    due with one indexed query."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    role: Mapped[AssignmentRole] = mapped_column(str_enum(AssignmentRole, "assignment_role"))
    status: Mapped[AssignmentStatus] = mapped_column(
        str_enum(AssignmentStatus, "assignment_status"), default=AssignmentStatus.ACTIVE, index=True
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    acknowledged_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    answered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    ack_due_on: Mapped[Optional[date]] = mapped_column(index=True)
    answer_due_on: Mapped[Optional[date]] = mapped_column(index=True)
    # While the applicant owes an answer the clock stops.
    paused_since: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # How long the clock stood still before the acknowledgement and before the answer,
    # so response times count the department's time only (added up at each resume).
    ack_paused_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    answer_paused_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    returned_reason: Mapped[Optional[str]] = mapped_column(sa.Text)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    proposal: Mapped[Proposal] = relationship(back_populates="assignments")
    department: Mapped[Department] = relationship()

    __table_args__ = (
        # One live assignment per proposal and department; one live lead.
        sa.Index(
            "uq_assignments_active_department",
            "proposal_id",
            "department_id",
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
        sa.Index(
            "uq_assignments_active_lead",
            "proposal_id",
            unique=True,
            sqlite_where=sa.text("status = 'active' AND role = 'lead'"),
            postgresql_where=sa.text("status = 'active' AND role = 'lead'"),
        ),
        sa.CheckConstraint("status != 'returned' OR returned_reason IS NOT NULL", name="returned_has_reason"),
        # A department's open assignments (the inbox, its counts, the dashboard).
        sa.Index("ix_assignments_open_department", "department_id",
                 sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'")),
        # The deadlines still owed, by due date: the sweep's rungs are ranges of these.
        sa.Index("ix_assignments_owed_ack", "ack_due_on",
                 sqlite_where=sa.text("status = 'active' AND acknowledged_at IS NULL"),
                 postgresql_where=sa.text("status = 'active' AND acknowledged_at IS NULL")),
        sa.Index("ix_assignments_owed_answer", "answer_due_on",
                 sqlite_where=sa.text("status = 'active' AND answered_at IS NULL"),
                 postgresql_where=sa.text("status = 'active' AND answered_at IS NULL")),
        # The deadline owed next (NEXT_DUE, as responses.views._next_due() writes it): a department's
        # inbox in due order, and the dashboard's most overdue, read 30 or 50 index entries instead of
        # sorting every open assignment (20-25 ms at 100,000 proposals; docs/scaling.md).
        sa.Index("ix_assignments_open_due", "department_id", sa.text(NEXT_DUE), "id",
                 sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'")),
        sa.Index("ix_assignments_running_due", sa.text(NEXT_DUE), "id",
                 sqlite_where=sa.text("status = 'active' AND paused_since IS NULL"),
                 postgresql_where=sa.text("status = 'active' AND paused_since IS NULL")),
    )


class Message(db.Model):
    """A message between the applicant and departments, or a staff note.

    `internal` messages are never shown to the applicant."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    parent_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("messages.id"))
    author_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    # The department speaking, when staff write (shown instead of a person).
    department_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("departments.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    internal: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Optional[User]] = relationship()
    department: Mapped[Optional[Department]] = relationship()


class Attachment(db.Model):
    """A file stored outside the web root under a random key."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    message_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("messages.id"))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReferenceCounter(db.Model):
    """Per fiscal year sequence for reference numbers (portable, lockable)."""

    __tablename__ = "reference_counters"

    fiscal_year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)
