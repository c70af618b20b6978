"""Reading groups of proposals (proposals/groups.py): which groups a
proposal is in, which wards a group spans, what a department, a member or
the public may see of it. Every room reads membership through here."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.models import Department, DepartmentKind
from proposals.audiences import published
from proposals.evaluations import Evaluation
from proposals.groups import Consent, GroupIntroduction, GroupMembership, GroupState, ProposalGroup
from proposals.models import Assignment, Proposal

# The dashboard flags a group whose members work in this many wards or more.
WARDS_TO_FLAG = 2


def wards_of(proposal: Proposal) -> list[Department]:
    """The wards a proposal works in: those the applicant named, and its lead if that is a ward office."""
    wards = {link.ward.id: link.ward for link in proposal.ward_links}
    lead = proposal.lead_department
    if lead is not None and lead.kind == DepartmentKind.WARD:
        wards.setdefault(lead.id, lead)
    return sorted(wards.values(), key=lambda d: d.id)


def group_wards(group: ProposalGroup) -> list[Department]:
    wards: dict[int, Department] = {}
    for membership in group.memberships:
        for ward in wards_of(membership.proposal):
            wards.setdefault(ward.id, ward)
    return sorted(wards.values(), key=lambda d: d.id)


@dataclass(frozen=True)
class GroupOverview:
    group: ProposalGroup
    members: int
    wards: list[Department]

    @property
    def spans_wards(self) -> bool:
        return len(self.wards) >= WARDS_TO_FLAG


def open_groups() -> list[GroupOverview]:
    """Open groups for the window's dashboard: those spanning two or more wards first, then the newest."""
    groups = db.session.scalars(
        sa.select(ProposalGroup).where(ProposalGroup.state == GroupState.OPEN)
        .options(selectinload(ProposalGroup.memberships).selectinload(GroupMembership.proposal)
                 .selectinload(Proposal.ward_links))
        .order_by(ProposalGroup.created_at.desc(), ProposalGroup.id.desc())
    ).all()
    overviews = [GroupOverview(g, len(g.memberships), group_wards(g)) for g in groups]
    return sorted(overviews, key=lambda o: not o.spans_wards)  # stable: newest first within each kind


def memberships_of_proposal(proposal_id: int) -> list[GroupMembership]:
    return db.session.scalars(
        sa.select(GroupMembership).join(ProposalGroup).where(GroupMembership.proposal_id == proposal_id)
        .order_by(ProposalGroup.state, ProposalGroup.id)
    ).all()


def department_member_ids(group: ProposalGroup, department_id: int | None) -> set[int]:
    """The members' proposal ids this department has (or had) an assignment for: the ones it may open."""
    if department_id is None or not group.memberships:
        return set()
    ids = [m.proposal_id for m in group.memberships]
    return set(db.session.scalars(sa.select(Assignment.proposal_id).where(
        Assignment.proposal_id.in_(ids), Assignment.department_id == department_id)))


def other_consenting_members(membership: GroupMembership) -> list[GroupMembership]:
    """What an applicant sees of their group: only the members that agreed to be seen, and only if they agreed too."""
    if membership.consent != Consent.GIVEN:
        return []
    return [m for m in membership.group.memberships if m.id != membership.id and m.consent == Consent.GIVEN]


def published_members(group: ProposalGroup) -> list[GroupMembership]:
    """Members whose proposal the catalogue shows (the same condition: consent and approval)."""
    ids = set(db.session.scalars(sa.select(Proposal.id).where(
        published(), Proposal.id.in_([m.proposal_id for m in group.memberships]))))
    return [m for m in group.memberships if m.proposal_id in ids]


def evaluations_of(proposal_ids: list[int]) -> dict[int, Evaluation]:
    if not proposal_ids:
        return {}
    return {e.proposal_id: e for e in db.session.scalars(
        sa.select(Evaluation).where(Evaluation.proposal_id.in_(proposal_ids)))}


def published_group(slug: str) -> ProposalGroup | None:
    return db.session.scalar(sa.select(ProposalGroup).where(ProposalGroup.slug == slug, ProposalGroup.published))


def introductions_of(group: ProposalGroup) -> list[tuple[GroupIntroduction, GroupMembership, GroupMembership]]:
    by_id = {m.id: m for m in group.memberships}
    rows = db.session.scalars(sa.select(GroupIntroduction).where(
        GroupIntroduction.first_id.in_(list(by_id))).order_by(GroupIntroduction.id)).all() if by_id else []
    return [(row, by_id[row.first_id], by_id[row.second_id]) for row in rows if row.second_id in by_id]
