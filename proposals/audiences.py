"""Who hears of a proposal: the applicant's members and their email
settings (User.notification_settings, /my/settings), whether the proposal
is public (`published`) and whether it seeks partners in public. Shared by the rooms that email
applicants (intake, responses, public)."""

from __future__ import annotations

import sqlalchemy as sa

from core.extensions import db
from core.models import Membership, Role, User
from proposals.models import Proposal, State
from proposals.visibility import consented_fields

DEFAULT_SETTINGS = {"public_changes": True, "messages": True}
# Partner search is for proposals that are still going somewhere.
PARTNER_STATES = frozenset({State.SUBMITTED, State.TRIAGE, State.ASSIGNED, State.INFO_REQUESTED,
                            State.IN_CONSULTATION, State.ADOPTED, State.IN_PROGRESS})


def wants(user: User, kind: str) -> bool:
    settings = user.notification_settings or {}
    return bool(settings.get(kind, DEFAULT_SETTINGS[kind]))


def recipients(proposal: Proposal, *, exclude_user_id: int | None, kind: str) -> list[User]:
    """Active applicant members of the organisation (and the creator), except
    the person who made the change, who opted in to this kind of email."""
    query = sa.select(User).where(User.active, User.role == Role.APPLICANT)
    conditions = [User.id == proposal.created_by_id] if proposal.created_by_id else []
    if proposal.organisation_id is not None:
        conditions.append(User.id.in_(
            sa.select(Membership.user_id).where(Membership.organisation_id == proposal.organisation_id)))
    if not conditions:
        return []
    users = db.session.scalars(query.where(sa.or_(*conditions)).order_by(User.id)).all()
    return [u for u in users if u.id != exclude_user_id and wants(u, kind)]


def published():
    """The condition for a proposal to be public: consent (to a known version of the consent text, which
    says what may be shown) and approval (the catalogue, open data, the API, search, a published group's page)."""
    return sa.and_(Proposal.consent_publish, Proposal.consent_version.is_not(None),
                   Proposal.publication_approved, Proposal.state != State.DRAFT)


def open_for_partners(proposal: Proposal) -> bool:
    return bool(
        proposal.consent_publish and proposal.publication_approved and proposal.partners_wanted
        and proposal.state in PARTNER_STATES and "partners_wanted" in consented_fields(proposal.consent_version)
    )
