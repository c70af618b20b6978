"""The demo's expressions of interest between organisations (the partner
search, /partners/interests), written with the public demo builder's
clock and event list (demo/public.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from core.extensions import db
from core.models import Event, Organisation, OrganisationKind, User
from demo.accounts import DEMO_APPLICANT
from proposals.audiences import PARTNER_STATES
from proposals.models import Proposal, State
from public.models import InterestStatus, PartnerInterest
from public.queries import published


def seed_partner_interests(builder) -> int:
    """A few expressions of interest, so that /partners/interests has something to show for
    the demo applicant (npo@example.org): received on two of its organisations' proposals (which
    the window publishes for that: partners are sought through the public catalogue), one
    pending and one accepted, and sent to other organisations' published proposals, one pending
    and one accepted. Times lie after each proposal's publication and not in the future."""
    events_before = len(builder.events)
    added: list[PartnerInterest] = []
    by_kind: dict[OrganisationKind, list[User]] = {}
    for organisation, _, user in builder.members:
        by_kind.setdefault(organisation.kind, []).append(user)
    applicant = db.session.scalar(sa.select(User).where(User.email == DEMO_APPLICANT))
    own_ids = sorted(applicant.organisation_ids()) if applicant is not None else []
    if applicant is not None and own_ids:
        preference = [State.IN_CONSULTATION, State.ADOPTED, State.ASSIGNED, State.IN_PROGRESS]
        own = sorted(db.session.scalars(
            sa.select(Proposal).where(Proposal.organisation_id.in_(own_ids), Proposal.state.in_(preference),
                                      Proposal.consent_publish, Proposal.submitted_at.is_not(None))).all(),
            key=lambda p: (preference.index(p.state), p.id))[:2]
        offers = [
            (OrganisationKind.UNIVERSITY, "学生ボランティアの参加と、活動の成果を測る調査の設計で協力できます。",
             InterestStatus.PENDING),
            (OrganisationKind.COMPANY, "社員ボランティアの派遣と、活動に使う備品の提供で協力できます。",
             InterestStatus.ACCEPTED),
        ]
        for proposal, (kind, offer, status) in zip(own, offers, strict=False):
            proposal.partners_wanted = proposal.partners_wanted or [kind.value]
            start = proposal.submitted_at
            span = max(builder.now - start, timedelta(0))
            if not proposal.publication_approved:
                proposal.publication_approved = True
                builder.event(proposal, start + span / 4, "publication_approved", builder.window_user, public=True)
            partner = by_kind[kind][0]
            added.append(_interest(builder, proposal, partner, kind, offer, status, start + span / 2,
                                        start + span * 3 / 4, applicant))
    # Sent by the demo applicant to other organisations' published proposals still looking for partners.
    if applicant is not None and own_ids:
        candidates = db.session.scalars(
            sa.select(Proposal).where(published(), Proposal.state.in_(PARTNER_STATES),
                                      Proposal.organisation_id.not_in(own_ids),
                                      Proposal.submitted_at < builder.now - timedelta(days=30))
            .order_by(Proposal.id)).all()
        candidates = [p for p in candidates if p.partners_wanted][:2]
        sent = [(InterestStatus.PENDING, "高齢者サロンの運営で培った、見守りボランティアの仕組みを共有できます。"),
                (InterestStatus.ACCEPTED, "地域の高齢者への声かけと、会場までの送迎の調整に協力できます。")]
        own_org = db.session.get(Organisation, own_ids[0])
        for proposal, (status, offer) in zip(candidates, sent, strict=False):
            at = builder.now - timedelta(days=6 if status == InterestStatus.ACCEPTED else 2)
            added.append(_interest(builder, proposal, applicant, own_org.kind, offer, status, at,
                                        at + timedelta(days=2), proposal.created_by,
                                        organisation_name=own_org.name))
    db.session.flush()
    if len(builder.events) > events_before:
        db.session.execute(sa.insert(Event), builder.events[events_before:])
        db.session.flush()
    return len(added)

def _interest(builder, proposal: Proposal, user: User, kind: OrganisationKind, offer: str, status: InterestStatus,
              at: datetime, answered_at: datetime, answered_by: User | None, *,
              organisation_name: str | None = None) -> PartnerInterest:
    if organisation_name is None:
        membership = user.memberships[0] if user.memberships else None
        organisation_name = membership.organisation.name if membership else user.name
    interest = PartnerInterest(
        proposal_id=proposal.id, user_id=user.id, organisation_name=organisation_name, organisation_kind=kind,
        offer=offer, contact_name=user.name or builder.person(), contact_email=user.email,
        contact_phone=f"044-{builder.rng.randint(200, 999)}-{builder.rng.randint(0, 9999):04d}", status=status,
        created_at=at,
    )
    if status != InterestStatus.PENDING:
        interest.responded_at = answered_at
        interest.responded_by_id = answered_by.id if answered_by is not None else None
    db.session.add(interest)
    db.session.flush()
    builder.event(proposal, at, "partner_interest_expressed", user,
               data={"interest_id": interest.id, "organisation_kind": kind.value, "demo": True})
    if status == InterestStatus.ACCEPTED:
        builder.event(proposal, answered_at, "partner_interest_accepted", answered_by,
                   data={"interest_id": interest.id, "demo": True})
    return interest
