"""Typed answers of a department. Each takes the actor explicitly, goes
through proposals.operations (transition / post_message), flushes and
records an event; the caller commits once.

Only the lead department decides (meeting, information request, adoption,
non-adoption, not ours → triage). A co-department acknowledges, gives its
opinion (seen by staff only, shown to the lead) or says "not ours" for its
own part without moving the proposal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.audit import Actor, record_event
from core.extensions import db
from core.models import Department
from proposals import operations as proposal_ops
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, Message, Proposal, State
from responses.deadlines import clock


class AnswerError(proposal_ops.TransitionError):
    pass


def _live(assignment: Assignment) -> Assignment:
    """The assignment, locked and re-read, refused unless still active.

    Every action checks its own "not done yet" after this lock, so two
    clicks (or two people) acting at once record one answer: the second
    waits here and then sees the first one's result. The proposal is
    locked first, the order assign() uses, so the two never deadlock."""
    proposal_ops.lock_proposal(assignment.proposal_id)
    locked = db.session.scalar(
        sa.select(Assignment).where(Assignment.id == assignment.id)
        .with_for_update().execution_options(populate_existing=True)
    )
    if locked is None or locked.status != AssignmentStatus.ACTIVE:
        raise AnswerError(_l("この割当はすでに終了しています。画面を読み込み直してください。"))
    return locked


def _lead_only(assignment: Assignment) -> None:
    if assignment.role != AssignmentRole.LEAD:
        raise AnswerError(_l("この操作は主担当部署だけが行えます。関係部署は意見を登録してください。"))


def _mark_acknowledged(assignment: Assignment, now: datetime) -> bool:
    if assignment.acknowledged_at is None:
        assignment.acknowledged_at = now
        return True
    return False


def acknowledge(assignment: Assignment, actor: Actor, note: str | None = None):
    """受領・検討開始: an event even though the state stays `assigned`."""
    assignment = _live(assignment)
    now = clock.now()
    if not _mark_acknowledged(assignment, now):
        raise AnswerError(_l("すでに受領・検討開始を登録しています。"))
    db.session.flush()
    return record_event(actor, "assignment_acknowledged", proposal_id=assignment.proposal_id, public=True,
                        department_id=assignment.department_id, comment=(note or "").strip() or None,
                        data={"assignment_id": assignment.id, "role": assignment.role.value})


def propose_meeting(assignment: Assignment, actor: Actor, options: list[str], message: str, *,
                    expected_version: int | None = None):
    """協議を希望: date options for the applicant; the proposal moves to in_consultation."""
    assignment = _live(assignment)
    _lead_only(assignment)
    options = [o.strip() for o in options if o and o.strip()]
    if not options:
        raise AnswerError(_l("候補日時を1つ以上入力してください。"))
    _mark_acknowledged(assignment, clock.now())
    proposal = proposal_ops.lock_proposal(assignment.proposal_id)
    body = (message or "").strip()
    listing = "\n".join(f"・{option}" for option in options)
    text = f"{body}\n\n{listing}" if body else listing
    message_row = proposal_ops.post_message(proposal, actor, text, department_id=assignment.department_id)
    data = {"meeting_options": options, "message_id": message_row.id, "department_id": assignment.department_id}
    if proposal.state == State.ASSIGNED:
        # The message carries the text and the options; the event points at it.
        return proposal_ops.transition(proposal, State.IN_CONSULTATION, actor,
                                       expected_version=expected_version, data=data)
    if proposal.state != State.IN_CONSULTATION:
        raise AnswerError(_l("この状態では協議を提案できません。"))
    if expected_version is not None and proposal.lock_version != expected_version:
        # The same form sent twice (a double click) or someone answered first.
        raise proposal_ops.Conflict(_l("この提案は他の職員によって更新されました。画面を読み込み直してください。"))
    proposal.lock_version += 1  # a later copy of the same form is refused as stale
    return record_event(actor, "meeting_proposed", proposal_id=proposal.id, public=True,
                        department_id=assignment.department_id, comment=body or None, data=data)


def request_information(assignment: Assignment, actor: Actor, question: str, *, expected_version: int | None = None):
    """追加情報の依頼: the clock pauses until the applicant answers."""
    assignment = _live(assignment)
    _lead_only(assignment)
    question = (question or "").strip()
    if not question:
        raise proposal_ops.CommentRequired(_l("提案者への質問を入力してください。"))
    _mark_acknowledged(assignment, clock.now())
    # The question is the transition's comment: the applicant's page shows it with the request.
    return proposal_ops.transition(assignment.proposal_id, State.INFO_REQUESTED, actor, comment=question,
                                   expected_version=expected_version,
                                   data={"department_id": assignment.department_id})


def not_ours(assignment: Assignment, actor: Actor, reason: str, suggested_department_id: int | None = None, *,
             expected_version: int | None = None):
    """他部署が適切: back to triage with a reason (never a silent drop). For
    the lead this is the transition the routing room counts as a misroute;
    a co-department only gives back its own part."""
    assignment = _live(assignment)
    reason = (reason or "").strip()
    if not reason:
        raise proposal_ops.CommentRequired(_l("他部署が適切と考える理由を入力してください。"))
    suggested = db.session.get(Department, suggested_department_id) if suggested_department_id else None
    data = {
        "assignment_id": assignment.id,
        "returned_by_department_id": assignment.department_id,
        "suggested_department_id": suggested.id if suggested else None,
        "suggested_department_code": suggested.code if suggested else None,
        "role": assignment.role.value,
    }
    event = None
    if assignment.role == AssignmentRole.LEAD:
        event = proposal_ops.transition(assignment.proposal_id, State.TRIAGE, actor, comment=reason,
                                        expected_version=expected_version, data=data)
    assignment.status = AssignmentStatus.RETURNED
    assignment.returned_reason = reason
    assignment.closed_at = clock.now()
    db.session.flush()
    if event is not None:
        return event
    return record_event(actor, "co_assignment_returned", proposal_id=assignment.proposal_id, public=False,
                        department_id=assignment.department_id, comment=reason, data=data)


@dataclass
class NextSteps:
    budget_year: int | None = None
    agreement: bool = False  # 協定を結ぶ
    agreement_note: str = ""
    next_steps: str = ""


def pending_opinions(proposal_id: int) -> list[Assignment]:
    """Co-departments still holding the proposal that have not given an opinion."""
    return db.session.scalars(sa.select(Assignment).where(
        Assignment.proposal_id == proposal_id, Assignment.role == AssignmentRole.CO,
        Assignment.status == AssignmentStatus.ACTIVE, Assignment.answered_at.is_(None)).order_by(Assignment.id)).all()


def _confirm_without_opinions(proposal_id: int, confirmed: bool) -> None:
    """The lead decides over silent co-departments only knowingly."""
    silent = pending_opinions(proposal_id)
    if silent and not confirmed:
        names = "、".join(a.department.name_ja for a in silent)
        raise AnswerError(_l("関係部署（%(departments)s）からまだ意見がありません。意見を待つか、"
                             "「意見がないまま登録する」にチェックしてから登録してください。", departments=names))


def _close_co_assignments(proposal_id: int, outcome: State, actor: Actor, co: list[Assignment]) -> None:
    """The outcome is reached: co-departments owe nothing more and are told."""
    from responses.notifications import notify_outcome

    now = clock.now()
    closed = []
    for assignment in co:
        db.session.refresh(assignment)
        if assignment.status == AssignmentStatus.ACTIVE:
            assignment.status, assignment.closed_at = AssignmentStatus.CLOSED, now
        closed.append(assignment)
    db.session.flush()
    if not closed:
        return
    record_event(actor, "co_assignments_closed", proposal_id=proposal_id, public=False,
                 data={"outcome": outcome.value, "department_ids": [a.department_id for a in closed]})
    for assignment in closed:
        notify_outcome(assignment, outcome)


def _active_co(proposal_id: int) -> list[Assignment]:
    return db.session.scalars(sa.select(Assignment).where(
        Assignment.proposal_id == proposal_id, Assignment.role == AssignmentRole.CO,
        Assignment.status == AssignmentStatus.ACTIVE).order_by(Assignment.id)).all()


def adopt(assignment: Assignment, actor: Actor, text: str, steps: NextSteps, *, expected_version: int | None = None,
          without_opinions: bool = False):
    """採択: the decision with the next steps (budget year, agreement)."""
    assignment = _live(assignment)
    _lead_only(assignment)
    text = (text or "").strip()
    if not text:
        raise proposal_ops.CommentRequired(_l("提案者へのお知らせを入力してください。"))
    _confirm_without_opinions(assignment.proposal_id, without_opinions)
    co = _active_co(assignment.proposal_id)
    now = clock.now()
    _mark_acknowledged(assignment, now)
    assignment.answered_at = now
    data = {"department_id": assignment.department_id, "budget_year": steps.budget_year,
            "agreement": steps.agreement, "agreement_note": steps.agreement_note.strip(),
            "next_steps": steps.next_steps.strip(), "co_opinions": _folded_opinions(assignment.proposal_id)}
    event = proposal_ops.transition(assignment.proposal_id, State.ADOPTED, actor, comment=text,
                                    expected_version=expected_version, data=data)
    _close_co_assignments(assignment.proposal_id, State.ADOPTED, actor, co)
    return event


def not_adopt(assignment: Assignment, actor: Actor, reason: str, applicant_text: str, *,
              expected_version: int | None = None, without_opinions: bool = False):
    """不採択: an internal reason (staff only) and the text the applicant sees."""
    assignment = _live(assignment)
    _lead_only(assignment)
    reason, applicant_text = (reason or "").strip(), (applicant_text or "").strip()
    if not reason:
        raise proposal_ops.CommentRequired(_l("不採択の理由を入力してください。"))
    if not applicant_text:
        raise proposal_ops.CommentRequired(_l("提案者へのお知らせを入力してください。"))
    _confirm_without_opinions(assignment.proposal_id, without_opinions)
    co = _active_co(assignment.proposal_id)
    now = clock.now()
    _mark_acknowledged(assignment, now)
    assignment.answered_at = now
    proposal = proposal_ops.lock_proposal(assignment.proposal_id)
    note = proposal_ops.post_message(proposal, actor, reason, internal=True, department_id=assignment.department_id)
    event = proposal_ops.transition(proposal, State.NOT_ADOPTED, actor, comment=applicant_text,
                                    expected_version=expected_version,
                                    data={"department_id": assignment.department_id, "internal_note_id": note.id,
                                          "co_opinions": _folded_opinions(proposal.id)})
    _close_co_assignments(proposal.id, State.NOT_ADOPTED, actor, co)
    return event


def co_opinion(assignment: Assignment, actor: Actor, body: str):
    """A co-department's opinion: staff only, shown to the lead on its page.
    It is the co-department's substantive answer (its answer deadline is met)."""
    assignment = _live(assignment)
    if assignment.role != AssignmentRole.CO:
        raise AnswerError(_l("意見の登録は関係部署が行います。"))
    if assignment.answered_at is not None:
        raise AnswerError(_l("この提案への意見はすでに登録しています。補足はメッセージでお伝えください。"))
    now = clock.now()
    _mark_acknowledged(assignment, now)
    assignment.answered_at = now
    proposal = db.session.get(Proposal, assignment.proposal_id)
    message = proposal_ops.post_message(proposal, actor, body, internal=True, department_id=assignment.department_id)
    return record_event(actor, "co_opinion", proposal_id=proposal.id, public=False,
                        department_id=assignment.department_id, data={"message_id": message.id,
                                                                       "assignment_id": assignment.id})


def co_opinions(proposal_id: int) -> list:
    """The co-departments' opinions on the proposal (staff-only messages),
    oldest first: what the lead folds into its answer."""
    co_departments = sa.select(Assignment.department_id).where(
        Assignment.proposal_id == proposal_id, Assignment.role == AssignmentRole.CO)
    return db.session.scalars(
        sa.select(Message).where(Message.proposal_id == proposal_id, Message.internal,
                                 Message.department_id.in_(co_departments))
        .order_by(Message.created_at, Message.id)
    ).all()


def _folded_opinions(proposal_id: int) -> list[dict]:
    return [{"department_id": m.department_id, "message_id": m.id} for m in co_opinions(proposal_id)]


def lead_assignment(proposal_id: int) -> Assignment | None:
    return db.session.scalar(sa.select(Assignment).where(
        Assignment.proposal_id == proposal_id, Assignment.status == AssignmentStatus.ACTIVE,
        Assignment.role == AssignmentRole.LEAD))
