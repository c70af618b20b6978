"""Routing data: ruleset versions and their rules, the theme keyword and
place-name dictionary, stored decisions, links between related proposals
and misroutes charged to rules.

Rules are data: a condition tree (all / any / not over the condition types
registered in routing.conditions) and a list of actions. A published
version is immutable; editing happens on a draft, and a roll back publishes
a copy of an older version.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, UTCDateTime, str_enum, utcnow
from core.extensions import db
from core.models import Department, Theme, User


class RulesetStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # immutable from now on
    RETIRED = "retired"  # an older published version (still immutable)


class RulesetVersion(db.Model):
    __tablename__ = "routing_ruleset_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    status: Mapped[RulesetStatus] = mapped_column(str_enum(RulesetStatus, "ruleset_status"), index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    based_on_version: Mapped[Optional[int]]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    author: Mapped[Optional[User]] = relationship()
    rules: Mapped[list["Rule"]] = relationship(
        back_populates="ruleset", order_by="(Rule.priority, Rule.id)", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("status = 'draft' OR published_at IS NOT NULL", name="published_has_time"),
        # At most one draft and one current published version at a time.
        sa.Index("uq_routing_one_draft", "status", unique=True,
                 sqlite_where=sa.text("status = 'draft'"), postgresql_where=sa.text("status = 'draft'")),
        sa.Index("uq_routing_one_published", "status", unique=True,
                 sqlite_where=sa.text("status = 'published'"), postgresql_where=sa.text("status = 'published'")),
    )

    @property
    def is_draft(self) -> bool:
        return self.status == RulesetStatus.DRAFT


def _new_key() -> str:
    return uuid.uuid4().hex[:12]


class Rule(db.Model):
    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    ruleset_id: Mapped[int] = mapped_column(sa.ForeignKey("routing_ruleset_versions.id", ondelete="CASCADE"),
                                            index=True)
    # Stays the same when a version is copied, so misroutes add up across versions.
    key: Mapped[str] = mapped_column(sa.String(32), default=_new_key, index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Smaller numbers are evaluated first.
    priority: Mapped[int] = mapped_column(default=100)
    condition: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    stop: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    ruleset: Mapped[RulesetVersion] = relationship(back_populates="rules")


class ImmutableRuleset(RuntimeError):
    pass


def _committed_status(ruleset: "RulesetVersion") -> RulesetStatus | None:
    state = sa.inspect(ruleset)
    if state.pending or state.transient:
        return None
    history = state.attrs.status.history
    return RulesetStatus(history.deleted[0]) if history.deleted else RulesetStatus(ruleset.status)


@sa_event.listens_for(sa.orm.Session, "before_flush")
def _published_rules_are_immutable(session, _flush_context, _instances):
    """A published (or retired) version never changes: its rules, their
    conditions and actions stay as they were when it was published. Only
    its status may move from published to retired."""
    touched = [o for o in session.dirty if session.is_modified(o)] + list(session.deleted) + list(session.new)
    for obj in touched:
        if isinstance(obj, Rule) and obj.ruleset is not None:
            status = _committed_status(obj.ruleset)
            if status not in (None, RulesetStatus.DRAFT):
                raise ImmutableRuleset(f"ruleset v{obj.ruleset.version} is published and cannot change")
        elif isinstance(obj, RulesetVersion) and obj not in session.new:
            status = _committed_status(obj)
            if status in (None, RulesetStatus.DRAFT):
                continue
            changed = {a.key for a in sa.inspect(obj).attrs if a.history.has_changes()} - {"status", "rules"}
            if obj in session.deleted or changed or obj.status == RulesetStatus.DRAFT:
                raise ImmutableRuleset(f"ruleset v{obj.version} is published and cannot change")


class Keyword(db.Model):
    """A word or phrase of the dictionary: it points at a theme (evidence for
    that theme) or at a ward (a place name), or at neither (a place name that
    only blocks shorter matches, e.g. 川崎市 so that 川崎 is not a ward)."""

    __tablename__ = "routing_keywords"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(sa.String(100))
    theme_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("themes.id"), index=True)
    ward_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    weight: Mapped[float] = mapped_column(sa.Float, default=1.0)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    theme: Mapped[Optional[Theme]] = relationship()
    ward: Mapped[Optional[Department]] = relationship()

    __table_args__ = (
        sa.CheckConstraint("theme_id IS NULL OR ward_id IS NULL", name="keyword_one_target"),
        sa.UniqueConstraint("phrase", "theme_id", "ward_id", name="uq_routing_keyword"),
    )


class DecisionKind(enum.StrEnum):
    ROUTED = "routed"  # the engine's decision at submission
    CONFIRMED = "confirmed"  # window staff accepted it
    OVERRIDDEN = "overridden"  # window staff changed lead or co-departments


class RoutingRecord(db.Model):
    """The history of routing decisions for a proposal (the current one is
    also on Proposal.routing_decision). Queryable: lead, primary theme,
    confidence, the rule that chose the lead."""

    __tablename__ = "routing_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    kind: Mapped[DecisionKind] = mapped_column(str_enum(DecisionKind, "routing_record_kind"))
    ruleset_version: Mapped[Optional[int]]
    lead_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    co_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    primary_theme: Mapped[Optional[str]] = mapped_column(sa.String(64), index=True)
    confidence: Mapped[Optional[float]] = mapped_column(sa.Float)
    needs_triage: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    lead_rule_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("routing_rules.id"))
    lead_rule_key: Mapped[Optional[str]] = mapped_column(sa.String(32), index=True)
    # The learned model's version whose view was part of the decision (None: no model yet).
    model_version: Mapped[Optional[int]]
    reason: Mapped[Optional[str]] = mapped_column(sa.Text)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lead: Mapped[Optional[Department]] = relationship()
    user: Mapped[Optional[User]] = relationship()


class ModelVersion(db.Model):
    """A trained routing model (routing.model.RoutingModel, pickled), with
    what it was trained on and how it scored on the examples held out. The
    newest version is the one in use; older ones are kept for the record."""

    __tablename__ = "routing_model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    trained_on: Mapped[int]  # labelled examples in the training set
    heldout_size: Mapped[int] = mapped_column(default=0)
    heldout_score: Mapped[Optional[float]] = mapped_column(sa.Float)  # lead accuracy on the held-out examples
    departments: Mapped[list[str]] = mapped_column(JSONType, default=list)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    blob: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Misroute(db.Model):
    """A department sent a proposal back to triage: charged to the rule
    that chose the lead (or to the staff override, when staff chose)."""

    __tablename__ = "routing_misroutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    event_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("events.id"))
    department_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("departments.id"))
    ruleset_version: Mapped[Optional[int]]
    rule_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("routing_rules.id"))
    rule_key: Mapped[Optional[str]] = mapped_column(sa.String(32), index=True)
    rule_name: Mapped[Optional[str]] = mapped_column(sa.String(200))
    overridden: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    reason: Mapped[Optional[str]] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Optional[Department]] = relationship()


class ProposalLink(db.Model):
    """Two related proposals (similar efforts by separate groups). Stored
    once per pair, the smaller id first."""

    __tablename__ = "routing_proposal_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    related_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "related_id", name="uq_routing_link_pair"),
        sa.CheckConstraint("proposal_id < related_id", name="link_ordered"),
    )
