"""Operations that change a proposal. Each takes the actor explicitly,
changes the model, flushes (never commits) and writes the audit event.
The caller (a view, a task, a command) commits once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.audit import Actor, record_event
from core.calendar import fiscal_year_of, to_local
from core.columns import utcnow
from core.extensions import db
from core.models import ActorKind, Event, Role
from proposals.lifecycle import STATE_LABELS, Party, Transition, find_transition
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, Message, Proposal, ReferenceCounter, State

signals = Namespace()
# Sent inside the transaction after a state change: (sender=proposal, transition, actor, event).
proposal_transitioned = signals.signal("proposal-transitioned")
# Sent after a proposal is submitted; routing connects here.
proposal_submitted = signals.signal("proposal-submitted")
# Sent inside the transaction after a message is posted: (sender=proposal, message, actor, event).
message_posted = signals.signal("message-posted")


class TransitionError(Exception):
    """Base of the refusals; `message` is shown to the user as it is."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class InvalidTransition(TransitionError):
    pass


class NotPermitted(TransitionError):
    pass


class CommentRequired(TransitionError):
    pass


class Conflict(TransitionError):
    """Someone else changed the proposal first."""


def parties_of(actor: Actor, proposal: Proposal) -> set[Party]:
    """The parties an actor acts as for this proposal."""
    if actor.kind != ActorKind.USER:
        return {Party.SYSTEM}
    user = actor.user
    parties: set[Party] = set()
    if user.role == Role.APPLICANT:
        if proposal.organisation_id in user.organisation_ids() or proposal.created_by_id == user.id:
            parties.add(Party.APPLICANT)
        return parties
    if user.role in (Role.WINDOW, Role.ADMIN):
        parties.add(Party.WINDOW)
    if user.department_id is not None and _has_active_assignment(proposal.id, user.department_id):
        parties.add(Party.DEPARTMENT)
    return parties


def _has_active_assignment(proposal_id: int, department_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(Assignment.id).where(
                Assignment.proposal_id == proposal_id,
                Assignment.department_id == department_id,
                Assignment.status == AssignmentStatus.ACTIVE,
            )
        )
        is not None
    )


def lock_proposal(proposal_id: int) -> Proposal:
    """Load the proposal with a row lock (SELECT … FOR UPDATE on PostgreSQL;
    SQLite serialises writers anyway) and fresh column values."""
    proposal = db.session.scalar(
        sa.select(Proposal)
        .where(Proposal.id == proposal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if proposal is None:
        raise InvalidTransition(_l("提案が見つかりません。"))
    return proposal


def transition(
    proposal: Proposal | int,
    target: State,
    actor: Actor,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """The one way to change a proposal's state."""
    proposal_id = proposal if isinstance(proposal, int) else proposal.id
    proposal = lock_proposal(proposal_id)
    target = State(target)
    if expected_version is not None and proposal.lock_version != expected_version:
        raise Conflict(_l("この提案は他の職員によって更新されました（現在の状態: %(state)s）。画面を読み込み直してください。",
                          state=STATE_LABELS[proposal.state]))
    if proposal.state == target:
        # Two people pressed the same button: say so, not "cannot change".
        raise Conflict(_l("この提案はすでに「%(state)s」になっています（他の職員が先に操作しました）。", state=STATE_LABELS[target]))
    move = find_transition(proposal.state, target)
    if move is None:
        raise InvalidTransition(
            _l("「%(source)s」から「%(target)s」へは変更できません。", source=STATE_LABELS[proposal.state],
               target=STATE_LABELS[target])
        )
    _check_party(move, actor, proposal)
    if move.target == State.MERGED and proposal.merged_into_id is None:
        raise InvalidTransition(_l("統合先の提案を指定してください。"))
    comment = (comment or "").strip() or None
    if move.comment_required and not comment:
        raise CommentRequired(_l("この操作には理由（コメント）の入力が必要です。"))
    return _apply(proposal, move, actor, comment, data)


def _check_party(move: Transition, actor: Actor, proposal: Proposal) -> None:
    if not (move.parties & parties_of(actor, proposal)):
        raise NotPermitted(_l("この操作を行う権限がありません。"))


def _apply(proposal: Proposal, move: Transition, actor: Actor, comment: str | None, data) -> Event:
    if move.target == State.INFO_REQUESTED:
        proposal.resume_state = move.source
    elif move.source == State.INFO_REQUESTED:
        proposal.resume_state = None
    if move.target in (State.ADOPTED, State.NOT_ADOPTED):
        proposal.decided_at = utcnow()
        proposal.decision_reason = comment
    proposal.state = move.target
    proposal.lock_version += 1
    proposal.updated_at = utcnow()
    db.session.flush()
    event = record_event(
        actor,
        "state_changed",
        proposal_id=proposal.id,
        public=move.public,
        comment=comment,
        from_state=move.source,
        to_state=move.target,
        data=data,
    )
    proposal_transitioned.send(proposal, transition=move, actor=actor, event=event)
    return event


def merge(proposal: Proposal, into: Proposal, actor: Actor, reason: str) -> Event:
    """Merge a proposal into a related one (similar efforts by separate groups)."""
    if into.id == proposal.id:
        raise InvalidTransition(_l("同じ提案には統合できません。"))
    proposal = lock_proposal(proposal.id)
    proposal.merged_into_id = into.id
    return transition(proposal, State.MERGED, actor, comment=reason, data={"merged_into": into.reference})


def next_reference(when: datetime) -> tuple[str, int]:
    """The next reference number for the fiscal year of `when`, e.g.
    KW-2026-000123. The counter row is locked, so numbers never repeat."""
    year = fiscal_year_of(to_local(when).date())
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(ReferenceCounter).values(fiscal_year=year, last_value=0).on_conflict_do_nothing())
    counter = db.session.scalar(
        sa.select(ReferenceCounter)
        .where(ReferenceCounter.fiscal_year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter.last_value += 1
    db.session.flush()
    prefix = current_app.config["REFERENCE_PREFIX"]
    return f"{prefix}-{year}-{counter.last_value:06d}", year


def submit(proposal: Proposal, actor: Actor) -> Event:
    """Give the draft a reference number and submit it, then hand it to routing."""
    proposal = lock_proposal(proposal.id)
    if proposal.state != State.DRAFT:
        raise Conflict(_l("この提案はすでに提出されています。"))
    now = utcnow()
    proposal.reference, proposal.fiscal_year = next_reference(now)
    proposal.submitted_at = now
    # The consents as given at this moment: the audit record of what the applicant agreed to.
    consents = {"privacy": proposal.consent_privacy, "publish": proposal.consent_publish}
    event = transition(proposal, State.SUBMITTED, actor, data={"reference": proposal.reference, "consents": consents})
    hand_to_routing(proposal)
    return event


def hand_to_routing(proposal: Proposal) -> None:
    """Routing (routing/) connects to proposal_submitted and routes the
    proposal. Without a receiver, it waits in the window's triage queue."""
    if proposal_submitted.receivers:
        proposal_submitted.send(proposal)
    else:
        transition(proposal, State.TRIAGE, Actor.system("intake"))


# Sent inside the transaction after departments are (re)assigned:
# (sender=proposal, assignments=[Assignment …], actor)
proposal_assigned = signals.signal("proposal-assigned")


def assign(
    proposal: Proposal,
    lead_department_id: int,
    co_department_ids: list[int],
    actor: Actor,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
) -> list[Assignment]:
    """Hand the proposal to a lead department and co-departments and move
    it to `assigned`. Assignments that are no longer wanted are closed,
    never deleted, so the history keeps who held the proposal when."""
    event = transition(proposal, State.ASSIGNED, actor, comment=reason, expected_version=expected_version,
                       data={"lead": lead_department_id, "co": co_department_ids})
    proposal = lock_proposal(event.proposal_id)
    wanted = {lead_department_id: AssignmentRole.LEAD}
    wanted.update({dept_id: AssignmentRole.CO for dept_id in co_department_ids if dept_id != lead_department_id})
    live = {a.department_id: a for a in proposal.assignments if a.status == AssignmentStatus.ACTIVE}
    now = utcnow()
    for dept_id, assignment in live.items():
        if wanted.get(dept_id) != assignment.role:
            assignment.status, assignment.closed_at = AssignmentStatus.CLOSED, now
    db.session.flush()
    created = []
    assigned_by = actor.user.id if actor.user is not None else None
    for dept_id, role in wanted.items():
        if dept_id in live and live[dept_id].role == role:
            continue
        assignment = Assignment(proposal_id=proposal.id, department_id=dept_id, role=role, assigned_by_id=assigned_by)
        db.session.add(assignment)
        created.append(assignment)
    proposal.lead_department_id = lead_department_id
    proposal.needs_triage = False
    proposal.triage_confirmed_at = proposal.triage_confirmed_at or now
    db.session.flush()
    db.session.expire(proposal, ["assignments"])
    proposal_assigned.send(proposal, assignments=created, actor=actor)
    return created


def close_assignments(proposal: Proposal) -> None:
    """An outcome was reached or the applicant withdrew: nobody owes an answer."""
    now = utcnow()
    for assignment in proposal.assignments:
        if assignment.status == AssignmentStatus.ACTIVE:
            assignment.status, assignment.closed_at = AssignmentStatus.CLOSED, now
    db.session.flush()


def post_message(proposal: Proposal, actor: Actor, body: str, *, internal: bool = False,
                 department_id: int | None = None, parent_id: int | None = None):
    """A message on the proposal's thread, recorded on the timeline."""
    body = (body or "").strip()
    if not body:
        raise CommentRequired(_l("メッセージを入力してください。"))
    message = Message(proposal_id=proposal.id, author_id=actor.user.id if actor.user else None, body=body,
                      internal=internal, department_id=department_id, parent_id=parent_id)
    db.session.add(message)
    db.session.flush()
    event = record_event(actor, "message_posted", proposal_id=proposal.id, public=not internal,
                         department_id=department_id, data={"message_id": message.id})
    message_posted.send(proposal, message=message, actor=actor, event=event)
    return message


def answer_info_request(proposal: Proposal, actor: Actor, body: str) -> Event:
    """The applicant answers: the message is posted and the proposal goes
    back to where it was, which restarts the department's clock."""
    proposal = lock_proposal(proposal.id)
    if proposal.state != State.INFO_REQUESTED:
        raise Conflict(_l("追加情報の依頼はすでに回答済みです。"))
    message = post_message(proposal, actor, body)
    return transition(proposal, proposal.resume_state, actor, data={"message_id": message.id})


@proposal_transitioned.connect
def _close_assignments_on_outcome(proposal: Proposal, transition: Transition, **_):
    if transition.target in (State.NOT_ADOPTED, State.WITHDRAWN, State.MERGED):
        close_assignments(proposal)
