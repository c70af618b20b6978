"""The demo's expressions of interest between organisations (the partner
search, /partners/interests), made and answered through public.operations
at past moments (the kernel's clock set to each, as in demo/public.py)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from core.audit import Actor
from core.clock import frozen_at
from core.extensions import db
from core.models import Event, Organisation, OrganisationKind, User
from demo.accounts import DEMO_APPLICANT
from demo.public_people import Cast
from proposals.audiences import PARTNER_STATES
from proposals.models import Proposal, State
from public.models import InterestStatus
from public.operations import express_interest, respond_to_interest, set_partners_wanted, set_publication
from public.queries import published


def seed_partner_interests(cast: Cast, rng: random.Random, now: datetime) -> int:
    """A few expressions of interest, so that /partners/interests has something to show for
    the demo applicant (npo@example.org): received on two of its organisations' proposals (which
    the window publishes for that: partners are sought through the public catalogue), one
    pending and one accepted, and sent to other organisations' published proposals, one pending
    and one accepted. Times lie after each proposal's publication and not in the future."""
    applicant = db.session.scalar(sa.select(User).where(User.email == DEMO_APPLICANT))
    own_ids = sorted(applicant.organisation_ids()) if applicant is not None else []
    if not own_ids:
        return 0
    by_kind: dict[OrganisationKind, list[User]] = {}
    for organisation, _, user in cast.members:
        by_kind.setdefault(organisation.kind, []).append(user)
    count = 0
    # Received on the demo applicant's own proposals.
    preference = [State.IN_CONSULTATION, State.ADOPTED, State.ASSIGNED, State.IN_PROGRESS]
    own = sorted(db.session.scalars(
        sa.select(Proposal).where(Proposal.organisation_id.in_(own_ids), Proposal.state.in_(preference),
                                  Proposal.consent_publish, Proposal.submitted_at.is_not(None))).all(),
        key=lambda p: (preference.index(p.state), p.id))[:2]
    offers = [
        (OrganisationKind.UNIVERSITY, "学生ボランティアの参加と、活動の成果を測る調査の設計で協力できます。", False),
        (OrganisationKind.COMPANY, "社員ボランティアの派遣と、活動に使う備品の提供で協力できます。", True),
    ]
    for proposal, (kind, offer, accepted) in zip(own, offers, strict=False):
        start = proposal.submitted_at
        span = max(now - timedelta(hours=2) - start, timedelta(0))
        with frozen_at(start + span / 4):
            if not proposal.partners_wanted:
                set_partners_wanted(proposal, [kind.value], Actor.of_user(applicant))
            set_publication(proposal, True, cast.window)
        partner = by_kind[kind][0]
        _interest(rng, now, proposal, partner, partner.memberships[0].organisation, offer, start + span / 2,
                  start + span * 3 / 4 if accepted else None, applicant)
        count += 1
    # Sent by the demo applicant to other organisations' published proposals still looking for partners.
    candidates = db.session.scalars(
        sa.select(Proposal).where(published(), Proposal.state.in_(PARTNER_STATES),
                                  Proposal.organisation_id.not_in(own_ids),
                                  Proposal.submitted_at < now - timedelta(days=30))
        .order_by(Proposal.id)).all()
    candidates = [p for p in candidates if p.partners_wanted][:2]
    sent = [(False, "高齢者サロンの運営で培った、見守りボランティアの仕組みを共有できます。"),
            (True, "地域の高齢者への声かけと、会場までの送迎の調整に協力できます。")]
    own_org = db.session.get(Organisation, own_ids[0])
    for proposal, (accepted, offer) in zip(candidates, sent, strict=False):
        at = now - timedelta(days=6 if accepted else 2)
        _interest(rng, now, proposal, applicant, own_org, offer, at, at + timedelta(days=2) if accepted else None,
                  proposal.created_by)
        count += 1
    return count


def _published_at(proposal: Proposal) -> datetime | None:
    return db.session.scalar(sa.select(sa.func.max(Event.created_at)).where(
        Event.proposal_id == proposal.id, Event.kind == "publication_approved"))


def _interest(rng: random.Random, now: datetime, proposal: Proposal, user: User, organisation: Organisation,
              offer: str, at: datetime, answered_at: datetime | None, answered_by: User) -> None:
    """The interest, expressed at `at` (never before the publication), accepted at `answered_at` if given."""
    published_at = _published_at(proposal)
    if published_at is not None and at <= published_at:
        # A proposal published a moment ago (the demo applicant's own, submitted during this seed):
        # no past to place the interest in; it happens now, after the publication.
        interest = _express(rng, proposal, user, organisation, offer)
        if answered_at is not None:
            respond_to_interest(interest, True, Actor.of_user(answered_by))
        return
    with frozen_at(at):
        interest = _express(rng, proposal, user, organisation, offer)
    if answered_at is not None:
        with frozen_at(answered_at):
            respond_to_interest(interest, True, Actor.of_user(answered_by))
    assert interest.status in (InterestStatus.PENDING, InterestStatus.ACCEPTED)


def _express(rng: random.Random, proposal: Proposal, user: User, organisation: Organisation, offer: str):
    return express_interest(
        proposal, Actor.of_user(user), organisation_name=organisation.name, organisation_kind=organisation.kind,
        offer=offer, contact_name=user.name, contact_email=user.email,
        contact_phone=f"044-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}")
