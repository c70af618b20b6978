"""The sweep: every rung of the departments' ladder and of the waits' that
is due and has not fired yet fires once, even with two sweeps at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.audit import Actor, record_event
from core.calendar import BusinessCalendar, local_today
from core.extensions import db
from core.models import User
from proposals.models import Assignment, AssignmentStatus, Proposal
from responses.clock import RUNNING_STATES, WAIT_KIND_OF, clock
from responses.models import DeadlineKind, Escalation, EscalationLevel, Wait, WaitEscalation, WaitKind
from responses.notifications import notify_escalation, notify_wait
from responses.recipients import recipients_for, wait_recipients
from responses.settings import calendar, setting
from responses.waits import open_missing_waits, wait_due_on, wait_levels_due

SWEEP_ACTOR_LABEL = "deadline sweep"


WAIT_RUNGS = (f"{WaitKind.TRIAGE.value}/{EscalationLevel.OVERDUE.value}",
              f"{WaitKind.TRIAGE.value}/{EscalationLevel.SECOND.value}",
              f"{WaitKind.APPLICANT.value}/{EscalationLevel.REMINDER.value}",
              f"{WaitKind.APPLICANT.value}/{EscalationLevel.OVERDUE.value}")


@dataclass
class SweepResult:
    fired: dict[str, int] = field(default_factory=lambda: {level.value: 0 for level in EscalationLevel})
    # Rungs of the waits on the window (triage/…) and the applicant (applicant/…).
    waits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(WAIT_RUNGS, 0))
    emails: int = 0
    candidates: int = 0

    @property
    def total(self) -> int:
        """Rungs fired on the departments' deadlines."""
        return sum(self.fired.values())

    @property
    def waits_total(self) -> int:
        """Rungs fired on waits (the window's triage, the applicant's answer)."""
        return sum(self.waits.values())


def levels_due(due_on: date, today: date, cal: BusinessCalendar) -> list[EscalationLevel]:
    """Which rungs of the ladder are due today for a deadline on `due_on`."""
    reminder_days = setting("DEADLINE_REMINDER_BUSINESS_DAYS")
    second_days = setting("DEADLINE_SECOND_LEVEL_BUSINESS_DAYS")
    levels = []
    if today > due_on:
        levels.append(EscalationLevel.OVERDUE)
        if today > cal.add_business_days(due_on, second_days):
            levels.append(EscalationLevel.SECOND)
    elif reminder_days and today >= cal.subtract_business_days(due_on, reminder_days):
        levels.append(EscalationLevel.REMINDER)
    return levels


def _insert_once(table, key: list[str], **values):
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING id: the id when this
    call fired the level, None when someone (another sweep) already had. On
    PostgreSQL a concurrent insert of the same key waits for the other
    transaction and then does nothing. One helper for the departments'
    ladder (Escalation) and the waits' (WaitEscalation)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=key).returning(table.id)
    return db.session.execute(statement).scalar()


def _last_rung_fired(kind: DeadlineKind, due_column):
    """The whole ladder has fired for this deadline: nothing left to do."""
    return (
        sa.select(Escalation.id)
        .where(Escalation.assignment_id == Assignment.id, Escalation.deadline_kind == kind,
               Escalation.due_on == due_column, Escalation.level == EscalationLevel.SECOND)
        .exists()
    )


def sweep(now: datetime | None = None, *, limit: int | None = None) -> SweepResult:
    """Fire every rung of the ladder that is due and has not fired yet.
    Flushes; the caller commits once."""
    now = now or clock.now()
    today = local_today(now)
    cal = calendar()
    result = SweepResult()
    horizon = cal.add_business_days(today, setting("DEADLINE_REMINDER_BUSINESS_DAYS"))
    query = (
        sa.select(Assignment)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(
            Assignment.status == AssignmentStatus.ACTIVE,
            Assignment.paused_since.is_(None),
            Proposal.state.in_(RUNNING_STATES),
            sa.or_(
                sa.and_(Assignment.acknowledged_at.is_(None), Assignment.ack_due_on <= horizon,
                        ~_last_rung_fired(DeadlineKind.ACK, Assignment.ack_due_on)),
                sa.and_(Assignment.answered_at.is_(None), Assignment.answer_due_on <= horizon,
                        ~_last_rung_fired(DeadlineKind.ANSWER, Assignment.answer_due_on)),
            ),
        )
        .order_by(Assignment.id)
    )
    if limit:
        query = query.limit(limit)
    actor = Actor.scheduler(SWEEP_ACTOR_LABEL)
    candidates = db.session.scalars(query).all()
    # Keys already fired, read in one query so that a daily sweep does not
    # try thousands of inserts; the insert below still decides under concurrency.
    fired: set[tuple] = set()  # (assignment id, deadline kind, due date, level)
    for chunk_start in range(0, len(candidates), 500):
        ids = [a.id for a in candidates[chunk_start:chunk_start + 500]]
        fired.update(tuple(row) for row in db.session.execute(
            sa.select(Escalation.assignment_id, Escalation.deadline_kind, Escalation.due_on, Escalation.level)
            .where(Escalation.assignment_id.in_(ids))
        ).all())
    people: dict[tuple[int, EscalationLevel], list[User]] = {}
    for assignment in candidates:
        result.candidates += 1
        owed = []
        if assignment.acknowledged_at is None and assignment.ack_due_on:
            owed.append((DeadlineKind.ACK, assignment.ack_due_on))
        if assignment.answered_at is None and assignment.answer_due_on:
            owed.append((DeadlineKind.ANSWER, assignment.answer_due_on))
        for kind, due_on in owed:
            for level in levels_due(due_on, today, cal):
                if (assignment.id, kind, due_on, level) in fired:
                    continue
                key = (assignment.department_id, level)
                if key not in people:  # the same people for a department and level throughout one sweep
                    people[key] = recipients_for(assignment, level)
                escalation_id = _insert_once(
                    Escalation, ["assignment_id", "deadline_kind", "due_on", "level"], assignment_id=assignment.id,
                    deadline_kind=kind, due_on=due_on, level=level, fired_at=now, recipients=len(people[key]))
                if escalation_id is None:
                    continue  # another sweep fired it first
                sent = notify_escalation(assignment, kind, due_on, level, escalation_id, people[key])
                record_event(
                    actor, f"deadline_{level.value}", proposal_id=assignment.proposal_id,
                    department_id=assignment.department_id, public=False,
                    data={"assignment_id": assignment.id, "deadline": kind.value, "due_on": due_on.isoformat(),
                          "level": level.value, "recipients": sent},
                )
                result.fired[level.value] += 1
                result.emails += sent
    _sweep_waits(now, today, cal, result, actor)
    db.session.flush()
    return result


def _sweep_waits(now: datetime, today: date, cal: BusinessCalendar, result: "SweepResult", actor: Actor) -> None:
    open_missing_waits(now)
    waits = db.session.scalars(
        sa.select(Wait).join(Proposal, Proposal.id == Wait.proposal_id)
        .where(Wait.ended_at.is_(None), Proposal.state.in_(list(WAIT_KIND_OF)),
               ~sa.select(WaitEscalation.id).where(WaitEscalation.wait_id == Wait.id,
                                                   WaitEscalation.level == sa.case(
                                                       (Wait.kind == WaitKind.TRIAGE, EscalationLevel.SECOND.value),
                                                       else_=EscalationLevel.OVERDUE.value)).exists())
        .order_by(Wait.id)
    ).all()
    fired: set[tuple[int, EscalationLevel]] = set()
    for chunk_start in range(0, len(waits), 500):
        ids = [w.id for w in waits[chunk_start:chunk_start + 500]]
        fired.update((row[0], EscalationLevel(row[1])) for row in db.session.execute(
            sa.select(WaitEscalation.wait_id, WaitEscalation.level).where(WaitEscalation.wait_id.in_(ids))).all())
    for wait in waits:
        due_on = wait_due_on(wait, cal)
        for level in wait_levels_due(wait, due_on, today, cal):
            if (wait.id, level) in fired:
                continue
            people = wait_recipients(wait, level)
            escalation_id = _insert_once(WaitEscalation, ["wait_id", "level"], wait_id=wait.id, level=level,
                                         due_on=due_on, fired_at=now, recipients=len(people))
            if escalation_id is None:
                continue  # another sweep fired it first
            sent = notify_wait(wait, level, due_on, escalation_id, people)
            record_event(
                actor, f"{wait.kind.value}_wait_{level.value}", proposal_id=wait.proposal_id,
                department_id=wait.department_id, public=False,
                data={"wait_id": wait.id, "wait": wait.kind.value, "since": local_today(wait.started_at).isoformat(),
                      "due_on": due_on.isoformat(), "level": level.value, "recipients": sent},
            )
            result.waits[f"{wait.kind.value}/{level.value}"] += 1
            result.emails += sent
