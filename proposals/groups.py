"""Groups of proposals (collective impact, 協働グループ): the window gathers
proposals that work on the same thing, often in different wards, so that
their departments see each other's work and the applicants who agree can be
introduced. The model and the operations live in the aggregate so every room
can read membership (the inbox, the applicant's status page, the dashboard);
the pages are the groups room's (groups/). See docs/groups.md.

Each operation takes the actor, changes the model, flushes (never commits)
and writes an audit event naming the actor."""

from __future__ import annotations

import enum
import re
import secrets
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.audit import Actor, record_event
from core.columns import UTCDateTime, str_enum, utcnow
from core.extensions import db
from core.models import User
from core.outbox import queue_templated_email
from proposals.models import Proposal, State

NAME_MAX = 200
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
# A proposal that ended without being answered cannot join a group.
NOT_GROUPABLE = frozenset({State.DRAFT, State.MERGED})


class GroupState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Consent(enum.StrEnum):
    """The applicant's answer to "may other members of this group see your organisation?"."""

    PENDING = "pending"
    GIVEN = "given"
    DECLINED = "declined"


class ProposalGroup(db.Model):
    __tablename__ = "proposal_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public address /groups/<slug>: ASCII, chosen by staff or drawn at random.
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[GroupState] = mapped_column(str_enum(GroupState, "proposal_group_state"),
                                              default=GroupState.OPEN, index=True)
    published: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    created_by: Mapped[Optional[User]] = relationship()
    memberships: Mapped[list["GroupMembership"]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupMembership.id")

    @property
    def is_open(self) -> bool:
        return self.state == GroupState.OPEN


class GroupMembership(db.Model):
    __tablename__ = "proposal_group_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal_groups.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    added_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    consent: Mapped[Consent] = mapped_column(str_enum(Consent, "group_member_consent"), default=Consent.PENDING)
    consent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    consent_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    group: Mapped[ProposalGroup] = relationship(back_populates="memberships")
    proposal: Mapped[Proposal] = relationship()

    __table_args__ = (sa.UniqueConstraint("group_id", "proposal_id", name="uq_group_member"),)

    @property
    def consented(self) -> bool:
        return self.consent == Consent.GIVEN


class GroupIntroduction(db.Model):
    """The window introduced two consenting members to each other (an email to both), once."""

    __tablename__ = "proposal_group_introductions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The lower membership id first, so one pair is one row whichever way round it was asked.
    first_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal_group_members.id", ondelete="CASCADE"), index=True)
    second_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal_group_members.id", ondelete="CASCADE"),
                                           index=True)
    introduced_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    introduced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (sa.UniqueConstraint("first_id", "second_id", name="uq_group_introduction"),
                      sa.CheckConstraint("first_id < second_id", name="introduction_ordered"))


class GroupError(Exception):
    """A refusal; `message` names the field or the rule and is shown as it is."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- the group --------------------------------------------------------------------------------------

def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise GroupError(_l("グループ名を入力してください。"))
    if len(name) > NAME_MAX:
        raise GroupError(_l("グループ名は%(max)s文字以内で入力してください。", max=NAME_MAX))
    return name


def _clean_slug(slug: str | None, group_id: int | None = None) -> str:
    slug = (slug or "").strip().lower()
    if not slug:
        return "g-" + secrets.token_hex(4)
    if not SLUG_PATTERN.match(slug):
        raise GroupError(_l("公開ページのアドレスは半角英小文字・数字・ハイフンで入力してください（例: foreign-residents）。"))
    taken = db.session.scalar(sa.select(ProposalGroup.id).where(ProposalGroup.slug == slug))
    if taken is not None and taken != group_id:
        raise GroupError(_l("公開ページのアドレス「%(slug)s」は別のグループが使っています。", slug=slug))
    return slug


def _event(actor: Actor, kind: str, group: ProposalGroup, *, proposal_id: int | None = None, public: bool = False,
           **data) -> None:
    record_event(actor, kind, proposal_id=proposal_id, public=public,
                 data={"group_id": group.id, "group_name": group.name, **data})


def create_group(name: str, description: str, actor: Actor, *, slug: str | None = None) -> ProposalGroup:
    group = ProposalGroup(name=_clean_name(name), description=(description or "").strip(), slug=_clean_slug(slug),
                          created_by_id=actor.user.id if actor.user else None)
    db.session.add(group)
    db.session.flush()
    _event(actor, "group_created", group, slug=group.slug)
    return group


def update_group(group: ProposalGroup, name: str, description: str, actor: Actor, *, slug: str | None = None) -> None:
    before = {"name": group.name, "slug": group.slug}
    group.name = _clean_name(name)
    group.description = (description or "").strip()
    if slug is not None and slug.strip():
        group.slug = _clean_slug(slug, group.id)
    db.session.flush()
    _event(actor, "group_updated", group, before=before, slug=group.slug)


def set_published(group: ProposalGroup, published: bool, actor: Actor) -> bool:
    """Publish (or withdraw) the group's public page; False when nothing changed."""
    if group.published == published:
        return False
    group.published = published
    db.session.flush()
    _event(actor, "group_published" if published else "group_unpublished", group)
    return True


def close_group(group: ProposalGroup, actor: Actor) -> None:
    if not group.is_open:
        raise GroupError(_l("このグループはすでに終了しています。"))
    group.state, group.closed_at = GroupState.CLOSED, utcnow()
    db.session.flush()
    _event(actor, "group_closed", group)


def reopen_group(group: ProposalGroup, actor: Actor) -> None:
    if group.is_open:
        raise GroupError(_l("このグループは活動中です。"))
    group.state, group.closed_at = GroupState.OPEN, None
    db.session.flush()
    _event(actor, "group_reopened", group)


# --- members ------------------------------------------------------------------------------------------

def membership_of(group: ProposalGroup, proposal_id: int) -> GroupMembership | None:
    return next((m for m in group.memberships if m.proposal_id == proposal_id), None)


def add_member(group: ProposalGroup, proposal: Proposal, actor: Actor) -> GroupMembership:
    if not group.is_open:
        raise GroupError(_l("終了したグループには提案を追加できません。"))
    if proposal.state in NOT_GROUPABLE:
        raise GroupError(_l("受付番号 %(ref)s の提案はグループに追加できません（下書きまたは統合済み）。",
                            ref=proposal.reference or "—"))
    if membership_of(group, proposal.id) is not None:
        raise GroupError(_l("受付番号 %(ref)s の提案はすでにこのグループにあります。", ref=proposal.reference))
    membership = GroupMembership(group=group, proposal=proposal, added_by_id=actor.user.id if actor.user else None)
    db.session.add(membership)
    db.session.flush()
    # Public: the applicant sees on the timeline (and hears by email) that the proposal joined a group,
    # and answers on the status page whether other members may see their organisation.
    _event(actor, "group_member_added", group, proposal_id=proposal.id, public=True)
    return membership


def remove_member(membership: GroupMembership, actor: Actor) -> None:
    group, proposal_id = membership.group, membership.proposal_id
    # Its introductions go with it (explicitly: SQLite does not enforce the ON DELETE CASCADE).
    db.session.execute(sa.delete(GroupIntroduction).where(
        sa.or_(GroupIntroduction.first_id == membership.id, GroupIntroduction.second_id == membership.id)))
    group.memberships.remove(membership)
    db.session.delete(membership)
    db.session.flush()
    _event(actor, "group_member_removed", group, proposal_id=proposal_id)


def is_applicant_of(user: User | None, proposal: Proposal) -> bool:
    return user is not None and (proposal.created_by_id == user.id
                                 or (proposal.organisation_id is not None
                                     and proposal.organisation_id in user.organisation_ids()))


def set_consent(membership: GroupMembership, given: bool, actor: Actor) -> None:
    """The applicant agrees (or not) that other members see their organisation and may be introduced."""
    if not is_applicant_of(actor.user, membership.proposal):
        raise GroupError(_l("この同意を変更できるのは提案団体のメンバーだけです。"))
    membership.consent = Consent.GIVEN if given else Consent.DECLINED
    membership.consent_at = utcnow()
    membership.consent_by_id = actor.user.id
    db.session.flush()
    _event(actor, "group_consent_given" if given else "group_consent_declined", membership.group,
           proposal_id=membership.proposal_id)


# --- introductions ------------------------------------------------------------------------------------

def introduction_between(first: GroupMembership, second: GroupMembership) -> GroupIntroduction | None:
    low, high = sorted((first.id, second.id))
    return db.session.scalar(sa.select(GroupIntroduction).where(
        GroupIntroduction.first_id == low, GroupIntroduction.second_id == high))


def introduce(first: GroupMembership, second: GroupMembership, actor: Actor, note: str = "") -> GroupIntroduction:
    """The window introduces two consenting members: one email to each, with the other's contact."""
    if first.id == second.id or first.group_id != second.group_id:
        raise GroupError(_l("同じグループの異なる2件の提案を選んでください。"))
    if not first.group.is_open:
        raise GroupError(_l("終了したグループでは紹介できません。"))
    if not (first.consented and second.consented):
        raise GroupError(_l("紹介できるのは、両方の提案団体が他のメンバーへの紹介に同意している場合だけです。"))
    if introduction_between(first, second) is not None:
        raise GroupError(_l("この2件の提案団体はすでに紹介済みです。"))
    low, high = sorted((first, second), key=lambda m: m.id)
    introduction = GroupIntroduction(first_id=low.id, second_id=high.id, note=(note or "").strip(),
                                     introduced_by_id=actor.user.id if actor.user else None)
    db.session.add(introduction)
    db.session.flush()
    for member, other in ((low, high), (high, low)):
        _email_introduction(member, other, introduction)
        _event(actor, "group_introduction", member.group, proposal_id=member.proposal_id,
               other_proposal_id=other.proposal_id, introduction_id=introduction.id)
    return introduction


def _contact_of(proposal: Proposal) -> tuple[str, str]:
    """The proposal's contact address and that person's language (Japanese unless they chose)."""
    address = proposal.contact_email or (proposal.created_by.email if proposal.created_by else "")
    user = db.session.scalar(sa.select(User).where(User.email == address)) if address else None
    return address, (user.locale if user is not None else "ja")


def _email_introduction(member: GroupMembership, other: GroupMembership, introduction: GroupIntroduction) -> None:
    address, locale = _contact_of(member.proposal)
    if not address:
        return
    queue_templated_email(address, "groups_introduction", key=f"group-introduction:{introduction.id}:{member.id}",
                          locale=locale, proposal_id=member.proposal_id, group=member.group,
                          proposal=member.proposal, other=other.proposal, note=introduction.note)
