"""Demo groups of proposals (collective impact), so `make run` shows them:
外国人住民の手続き支援, multicultural proposals from two or more wards,
published, with some members' consent; and an unpublished group of elderly
welfare proposals across wards. Drives proposals/groups.py's operations;
idempotent (a group whose slug exists is left alone)."""

from __future__ import annotations

import sqlalchemy as sa

from core.audit import Actor
from core.extensions import db
from core.models import Department, DepartmentKind, Theme, User
from proposals import groups as ops
from proposals.audiences import published
from proposals.groups import ProposalGroup
from proposals.models import Proposal, ProposalTheme, ProposalWard, State

DEMO_GROUPS = [
    ("foreign-residents-procedures", "外国人住民の手続き支援",
     "区役所の窓口で同じ手続き（転入、国民健康保険、子どもの就学）を、いくつもの団体がそれぞれ支えてきました。"
     "経験と通訳ボランティアを共有し、区をこえて同じ案内を使えるようにします。", "multicultural", True),
    ("elderly-places", "高齢者の居場所と見守り",
     "サロン、配食、見守りを別々に続けてきた団体をつなぎ、担い手と会場を融通し合います。", "welfare-elderly", False),
]
MEMBERS = 5


def seed_demo_groups() -> int:
    window = db.session.scalar(sa.select(User).where(User.email == "window@city.example.jp"))
    if window is None:
        return 0
    actor, added = Actor.of_user(window), 0
    for slug, name, description, theme, publish in DEMO_GROUPS:
        if db.session.scalar(sa.select(ProposalGroup.id).where(ProposalGroup.slug == slug)) is not None:
            continue
        members = _proposals_across_wards(theme)
        if len(members) < 2:
            continue
        group = ops.create_group(name, description, actor, slug=slug)
        for index, proposal in enumerate(members):
            membership = ops.add_member(group, proposal, actor)
            if index < 3 and proposal.created_by is not None:  # the first few applicants agreed to be introduced
                ops.set_consent(membership, True, Actor.of_user(proposal.created_by))
        if publish:
            ops.set_published(group, True, actor)
        added += 1
    db.session.flush()
    return added


def _proposals_across_wards(theme_code: str) -> list[Proposal]:
    """Up to MEMBERS proposals of a theme, one ward after another so the group spans wards; published ones first."""
    rows = db.session.execute(
        sa.select(Proposal, ProposalWard.ward_id).join(ProposalTheme).join(Theme)
        .join(ProposalWard, ProposalWard.proposal_id == Proposal.id)
        .join(Department, Department.id == ProposalWard.ward_id)
        .where(Theme.code == theme_code, Department.kind == DepartmentKind.WARD,
               Proposal.state.not_in([State.DRAFT, State.MERGED, State.WITHDRAWN]))
        .order_by(published().desc(), Proposal.id)
    ).all()
    chosen: dict[int, Proposal] = {}
    wards_used: set[int] = set()
    for proposal, ward_id in rows:  # first one per ward, then fill up
        if ward_id not in wards_used and proposal.id not in chosen:
            chosen[proposal.id] = proposal
            wards_used.add(ward_id)
        if len(chosen) >= MEMBERS:
            break
    for proposal, _ in rows:
        if len(chosen) >= MEMBERS:
            break
        chosen.setdefault(proposal.id, proposal)
    return list(chosen.values())
