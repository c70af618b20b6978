"""Personal data as the law asks (個人情報保護法): staff reads of contact
details are logged, and personal data of proposals closed longer than the
retention period is anonymised, keeping the non-personal record and the
statistics. Which fields are personal is read from proposals.visibility."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from core.audit import Actor, record_event
from core.columns import utcnow
from core.extensions import db
from core.models import Event
from proposals.models import Proposal, State
from proposals.visibility import PERSONAL_FIELD_NAMES

# Proposals that reached the end of their road: nothing more will be asked of the applicant.
CLOSED_STATES = frozenset({State.NOT_ADOPTED, State.WITHDRAWN, State.MERGED, State.COMPLETED, State.EVALUATED})
# The proposal's own columns holding personal data (the declaration's contact_* fields).
PERSONAL_COLUMNS = tuple(name for name in PERSONAL_FIELD_NAMES if name.startswith("contact_"))
DEFAULT_RETENTION_DAYS = 5 * 365


def log_contact_read(actor: Actor, proposal: Proposal) -> Event:
    """Who read whose contact details, when: the administrators' audit log shows it."""
    return record_event(actor, "personal_data_viewed", proposal_id=proposal.id, public=False,
                        department_id=actor.user.department_id if actor.user is not None else None,
                        data={"fields": list(PERSONAL_COLUMNS), "contact": proposal.contact_name,
                              "organisation_id": proposal.organisation_id})


@dataclass
class PurgePlan:
    cutoff: object
    proposals: list[Proposal]


def retention_days() -> int:
    return int(current_app.config.get("PRIVACY_RETENTION_DAYS") or DEFAULT_RETENTION_DAYS)


def purge_plan(now=None) -> PurgePlan:
    """Closed proposals older than the retention period that still hold personal data."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days())
    still_personal = sa.or_(*(getattr(Proposal, column) != "" for column in PERSONAL_COLUMNS))
    proposals = db.session.scalars(sa.select(Proposal).where(
        Proposal.state.in_(CLOSED_STATES), Proposal.updated_at < cutoff, still_personal).order_by(Proposal.id)).all()
    return PurgePlan(cutoff=cutoff, proposals=list(proposals))


def purge(actor: Actor, now=None) -> PurgePlan:
    """Anonymise the personal data of every proposal in the plan (flushes; the caller commits).
    The proposal, its state, themes, wards, dates and decision stay: the record and the statistics."""
    plan = purge_plan(now)
    for proposal in plan.proposals:
        for column in PERSONAL_COLUMNS:
            setattr(proposal, column, "")
        db.session.flush()
        record_event(actor, "personal_data_purged", proposal_id=proposal.id, public=False,
                     data={"fields": list(PERSONAL_COLUMNS), "retention_days": retention_days()})
    return plan
