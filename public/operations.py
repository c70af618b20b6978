"""Operations of the public room. Each takes the actor explicitly, changes
the model, flushes (never commits) and writes an audit event."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from core.audit import Actor, record_event
from core.columns import utcnow
from core.extensions import db
from core.models import Membership, OrganisationKind, Role, User
from core.outbox import queue_email
from proposals import operations as proposal_operations
from proposals.audiences import PARTNER_STATES as PARTNER_STATES  # public/views.py reads it here
from proposals.audiences import open_for_partners, wants
from proposals.lifecycle import STATE_LABELS
from proposals.models import PARTNER_KINDS, Proposal, State
from public.models import Evaluation, ExitReached, InterestStatus, PartnerInterest, ReviewDecision

# States a published proposal may be in (a draft is never public).
PUBLISHABLE_STATES = frozenset(State) - {State.DRAFT}
# Evaluations belong to adopted proposals and what follows adoption.
EVALUABLE_STATES = frozenset({State.ADOPTED, State.IN_PROGRESS, State.COMPLETED, State.EVALUATED})


class PublicError(Exception):
    """A refusal; `message` is shown to the user as it is."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- publication ------------------------------------------------------------------------------

def can_approve_publication(user: User) -> bool:
    return user.is_authenticated and user.role in (Role.WINDOW, Role.ADMIN)


def set_publication(proposal: Proposal, approved: bool, actor: Actor, *, reason: str | None = None) -> None:
    """Window staff approve a proposal for the public catalogue, or take it
    back out. Only proposals whose applicant consented can be approved."""
    if actor.user is None or not can_approve_publication(actor.user):
        raise PublicError(_l("公開の承認は窓口（自治推進部）の職員だけが行えます。"))
    proposal = proposal_operations.lock_proposal(proposal.id)
    if approved and not proposal.consent_publish:
        raise PublicError(_l("提案者が公開に同意していないため、公開できません。"))
    if approved and proposal.state not in PUBLISHABLE_STATES:
        raise PublicError(_l("下書きの提案は公開できません。"))
    if approved and proposal.state in UNPUBLISHABLE_OUTCOMES:
        raise PublicError(_l("取り下げ・不採択・統合された提案は公開できません（「%(state)s」）。",
                             state=STATE_LABELS[proposal.state]))
    if proposal.publication_approved == approved:
        return
    proposal.publication_approved = approved
    db.session.flush()
    # The memo is the window's own record (proposals.visibility): never shown to the applicant.
    event = record_event(actor, "publication_approved" if approved else "publication_withdrawn",
                         proposal_id=proposal.id, public=True, comment=(reason or "").strip() or None)
    if approved:
        _tell_lead_department(proposal, event.id)


# Proposals that ended without going anywhere are not offered for publication.
UNPUBLISHABLE_OUTCOMES = frozenset({State.WITHDRAWN, State.NOT_ADOPTED, State.MERGED})


def publication_candidates():
    """The condition for the approval list: consent given, not yet public, and eligible."""
    return sa.and_(Proposal.consent_publish, ~Proposal.publication_approved,
                   Proposal.state.not_in([State.DRAFT, *UNPUBLISHABLE_OUTCOMES]))


def _tell_lead_department(proposal: Proposal, event_id: int) -> None:
    """The lead department hears that its proposal is now public."""
    if proposal.lead_department_id is None:
        return
    link = f"/catalogue/{proposal.reference}"
    staff = db.session.scalars(sa.select(User).where(
        User.active, User.department_id == proposal.lead_department_id,
        User.role.in_([Role.DEPARTMENT_STAFF, Role.DEPARTMENT_MANAGER])).order_by(User.id)).all()
    for user in staff:
        _queue(user.email, user.locale or "ja", "published_lead", key=f"public:published:{event_id}:{user.id}",
               proposal=proposal, link=link)


# --- evaluation -------------------------------------------------------------------------------

def can_evaluate(user: User, proposal: Proposal) -> bool:
    if not user.is_authenticated or not user.is_staff:
        return False
    if user.role in (Role.WINDOW, Role.ADMIN):
        return True
    return user.department_id is not None and user.department_id == proposal.lead_department_id


def record_evaluation(
    proposal: Proposal,
    actor: Actor,
    *,
    implementation_start: date | None,
    implementation_end: date | None,
    indicators: list[dict[str, str]],
    exit_reached: ExitReached,
    exit_note: str,
    review_decision: ReviewDecision | None,
    reviewed_on: date | None,
    summary: str,
    finalise: bool = False,
) -> Evaluation:
    """Create or update the evaluation of an adopted proposal. With
    `finalise`, a completed proposal moves to `evaluated` (the lifecycle
    table decides whether the actor may)."""
    if actor.user is None or not can_evaluate(actor.user, proposal):
        raise PublicError(_l("評価を入力できるのは主担当部署と窓口の職員です。"))
    if proposal.state not in EVALUABLE_STATES:
        raise PublicError(_l("評価は採択された提案についてのみ入力できます。"))
    if implementation_start and implementation_end and implementation_end < implementation_start:
        raise PublicError(_l("実施期間の終了日は開始日以降の日付にしてください（同じ日でもかまいません）。"))
    if review_decision is not None and reviewed_on is None:
        raise PublicError(_l("3年目の検証の結論を選んだときは、検証日を入力してください。"))
    evaluation = db.session.scalar(sa.select(Evaluation).where(Evaluation.proposal_id == proposal.id))
    created = evaluation is None
    if created:
        evaluation = Evaluation(proposal_id=proposal.id)
        db.session.add(evaluation)
    before = _evaluation_snapshot(evaluation) if not created else {}
    evaluation.implementation_start = implementation_start
    evaluation.implementation_end = implementation_end
    evaluation.indicators = [i for i in indicators if i.get("name")]
    evaluation.exit_reached = exit_reached
    evaluation.exit_note = exit_note.strip()
    evaluation.review_decision = review_decision
    evaluation.reviewed_on = reviewed_on
    evaluation.summary = summary.strip()
    evaluation.updated_by_id = actor.user.id
    evaluation.department_id = actor.user.department_id
    evaluation.updated_at = utcnow()
    db.session.flush()
    after = _evaluation_snapshot(evaluation)
    changed = {k: {"from": before.get(k), "to": v} for k, v in after.items() if before.get(k) != v}
    record_event(actor, "evaluation_recorded" if created else "evaluation_updated", proposal_id=proposal.id,
                 department_id=actor.user.department_id, data={"changed": changed})
    if finalise and proposal.state == State.COMPLETED:
        proposal_operations.transition(proposal, State.EVALUATED, actor, comment=evaluation.summary)
    return evaluation


def _evaluation_snapshot(evaluation: Evaluation) -> dict[str, Any]:
    def iso(day):
        return day.isoformat() if day else None

    return {
        "implementation_start": iso(evaluation.implementation_start),
        "implementation_end": iso(evaluation.implementation_end),
        "indicators": list(evaluation.indicators or []),
        "exit_reached": str(evaluation.exit_reached) if evaluation.exit_reached else None,
        "exit_note": evaluation.exit_note,
        "review_decision": str(evaluation.review_decision) if evaluation.review_decision else None,
        "reviewed_on": iso(evaluation.reviewed_on),
        "summary": evaluation.summary,
    }


# --- partners wanted --------------------------------------------------------------------------

def is_proposer(user: User, proposal: Proposal) -> bool:
    """A member of the proposing organisation (or the person who wrote it)."""
    if not user.is_authenticated:
        return False
    return proposal.created_by_id == user.id or (
        proposal.organisation_id is not None and proposal.organisation_id in user.organisation_ids()
    )


def express_interest(
    proposal: Proposal,
    actor: Actor,
    *,
    organisation_name: str,
    organisation_kind: OrganisationKind,
    offer: str,
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
) -> PartnerInterest:
    user = actor.user
    if user is None:
        raise PublicError(_l("関心を伝えるにはサインインしてください。"))
    if not open_for_partners(proposal):
        raise PublicError(_l("この提案は現在パートナーを募集していません。"))
    if is_proposer(user, proposal):
        raise PublicError(_l("ご自身の団体の提案には関心を伝えられません。"))
    live = db.session.scalar(
        sa.select(PartnerInterest.id).where(
            PartnerInterest.proposal_id == proposal.id, PartnerInterest.user_id == user.id,
            PartnerInterest.status.in_([InterestStatus.PENDING, InterestStatus.ACCEPTED]),
        )
    )
    if live is not None:
        raise PublicError(_l("この提案にはすでに関心を伝えています。"))
    interest = PartnerInterest(
        proposal_id=proposal.id, user_id=user.id, organisation_name=organisation_name.strip(),
        organisation_kind=organisation_kind, offer=offer.strip(), contact_name=contact_name.strip(),
        contact_email=contact_email.strip(), contact_phone=(contact_phone or "").strip(),
    )
    db.session.add(interest)
    db.session.flush()
    record_event(actor, "partner_interest_expressed", proposal_id=proposal.id,
                 data={"interest_id": interest.id, "organisation_kind": str(organisation_kind)})
    for recipient in _proposer_recipients(proposal):
        if not _wants_news(recipient):
            continue
        _queue(recipient.email, recipient.locale, "partner_interest", key=f"partner-interest:{interest.id}:{recipient.id}",
               proposal=proposal, interest=interest, link="/partners/interests")
    return interest


def respond_to_interest(interest: PartnerInterest, accept: bool, actor: Actor) -> PartnerInterest:
    """The proposing organisation accepts (contacts are exchanged by email,
    both ways) or declines (the interested side is told, nothing shared)."""
    proposal = interest.proposal
    if actor.user is None or not is_proposer(actor.user, proposal):
        raise PublicError(_l("この関心表明に応えられるのは提案団体のメンバーだけです。"))
    if interest.status != InterestStatus.PENDING:
        raise PublicError(_l("この関心表明にはすでに回答済みです。"))
    interest.status = InterestStatus.ACCEPTED if accept else InterestStatus.DECLINED
    interest.responded_at = utcnow()
    interest.responded_by_id = actor.user.id
    db.session.flush()
    record_event(actor, "partner_interest_accepted" if accept else "partner_interest_declined",
                 proposal_id=proposal.id, data={"interest_id": interest.id})
    interested = interest.user
    # Each side's emails follow that person's settings (/my/settings); the contacts stay on
    # /partners/interests for whoever does not take emails.
    if accept:
        # To the interested organisation: the proposer's contact.
        if _wants_news(interested):
            _queue(interest.contact_email, interested.locale, "partner_matched_interested",
                   key=f"partner-matched:{interest.id}:interested", proposal=proposal, interest=interest,
                   link="/partners/interests")
        # To the proposer: the interested organisation's contact (at the proposal's contact address,
        # whose account's settings apply, or the settings of the member who accepted).
        to = proposal.contact_email or actor.user.email
        owner = db.session.scalar(sa.select(User).where(User.email == to)) or actor.user
        if _wants_news(owner):
            _queue(to, owner.locale, "partner_matched_proposer", key=f"partner-matched:{interest.id}:proposer",
                   proposal=proposal, interest=interest, link="/partners/interests")
    elif _wants_news(interested):
        _queue(interest.contact_email, interested.locale, "partner_declined",
               key=f"partner-declined:{interest.id}", proposal=proposal, interest=interest, link="/partners")
    return interest


def set_partners_wanted(proposal: Proposal, kinds: list[str], actor: Actor) -> None:
    """The proposing organisation marks which partners it seeks (shown on /partners once published)."""
    if actor.user is None or not is_proposer(actor.user, proposal):
        raise PublicError(_l("募集するパートナーを変更できるのは提案団体のメンバーだけです。"))
    wanted = [kind for kind in PARTNER_KINDS if kind in set(kinds)]
    before = list(proposal.partners_wanted or [])
    if before == wanted:
        return
    proposal.partners_wanted = wanted
    db.session.flush()
    record_event(actor, "partners_wanted_changed", proposal_id=proposal.id, data={"from": before, "to": wanted})


def withdraw_interest(interest: PartnerInterest, actor: Actor) -> PartnerInterest:
    if actor.user is None or interest.user_id != actor.user.id:
        raise PublicError(_l("この関心表明を取り下げられるのは送った本人だけです。"))
    if interest.status != InterestStatus.PENDING:
        raise PublicError(_l("回答済みの関心表明は取り下げられません。"))
    interest.status = InterestStatus.WITHDRAWN
    interest.responded_at = utcnow()
    db.session.flush()
    record_event(actor, "partner_interest_withdrawn", proposal_id=interest.proposal_id,
                 data={"interest_id": interest.id})
    return interest


def _wants_news(user: User | None) -> bool:
    """Partner emails are news about one's proposal or one's interest: they follow the
    person's "public changes" setting at /my/settings (proposals.audiences)."""
    return user is None or wants(user, "public_changes")


def _proposer_recipients(proposal: Proposal) -> list[User]:
    users = {}
    if proposal.created_by is not None:
        users[proposal.created_by.id] = proposal.created_by
    if proposal.organisation_id is not None:
        for user in db.session.scalars(
            sa.select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == proposal.organisation_id, User.active)
        ):
            users[user.id] = user
    return list(users.values())


def _queue(to: str, locale: str, template: str, *, key: str, proposal: Proposal, link: str, **context) -> None:
    """Render templates/public/email/<template>.txt in the recipient's
    language (first line "Subject: …") and queue it in the outbox."""
    locale = locale or "ja"
    with force_locale(locale):
        rendered = render_template(f"public/email/{template}.txt", proposal=proposal,
                                   link=current_app.config["BASE_URL"] + link, **context)
    first_line, _, body = rendered.lstrip().partition("\n")
    queue_email(to, first_line.removeprefix("Subject:").strip(), body.lstrip("\n"), key=key, locale=locale,
                proposal_id=proposal.id)
