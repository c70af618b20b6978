"""The sweep: every rung of the departments' ladder and of the waits' that
is due and has not fired yet fires once, even with two sweeps at once.

Set-based: each rung of a ladder is a range of due dates (or of the days
a wait started), so the rows it fires are found by one indexed query and
inserted by one INSERT … ON CONFLICT DO NOTHING per batch; the emails and
audit events of a batch are written in bulk. The unique keys (one
escalation per assignment, deadline, due date and level; one per wait and
level) decide under concurrency: a second sweep's insert of the same key
waits for the first's transaction and then does nothing, so it sends
nothing. With `commit_each_batch` (cron and the beat task) each batch is
its own short transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from core.audit import Actor, record_events
from core.bulk import insert_rows
from core.calendar import BusinessCalendar, local_today
from core.extensions import db
from core.models import Department, Event, User
from core.outbox import queue_emails
from proposals.models import Assignment, AssignmentStatus, Proposal
from responses.clock import RUNNING_STATES, WAIT_KIND_OF, clock, tokyo_moment
from responses.models import DeadlineKind, Escalation, EscalationLevel, Wait, WaitEscalation, WaitKind
from responses.notifications import DeadlineEmails, wait_emails
from responses.recipients import department_recipients, wait_recipients
from responses.settings import calendar, setting
from responses.waits import open_missing_waits, wait_due_on, wait_levels_due

SWEEP_ACTOR_LABEL = "deadline sweep"
BATCH = 500  # rungs per INSERT (and per transaction with commit_each_batch)


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
    """Which rungs of the ladder are due today for a deadline on `due_on`
    (the rule; deadline_rungs() states it as ranges of due dates)."""
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


@dataclass(frozen=True)
class Rung:
    """A level of a ladder as a range of days: due dates (departments) or
    the Tokyo days a wait started (waits), from `first` (None: any) to `last`."""

    level: EscalationLevel
    first: date | None
    last: date


def _last_day(start: date, test: Callable[[date], bool]) -> date:
    """The latest day on or before `start` that passes `test` (a test that
    holds for every earlier day once it holds: the ladder's are monotone)."""
    day = start
    while not test(day):
        day -= timedelta(days=1)
    return day


def deadline_rungs(today: date, cal: BusinessCalendar) -> list[Rung]:
    """levels_due() as ranges of due dates: overdue before today, second
    level up to the last due date SECOND_LEVEL business days before today,
    reminder from today to the last due date whose reminder day has come."""
    reminder_days = setting("DEADLINE_REMINDER_BUSINESS_DAYS")
    second_days = setting("DEADLINE_SECOND_LEVEL_BUSINESS_DAYS")
    yesterday = today - timedelta(days=1)
    rungs = [Rung(EscalationLevel.OVERDUE, None, yesterday),
             Rung(EscalationLevel.SECOND, None,
                  _last_day(yesterday, lambda d: cal.add_business_days(d, second_days) < today))]
    if reminder_days:
        horizon = today
        while cal.subtract_business_days(horizon + timedelta(days=1), reminder_days) <= today:
            horizon += timedelta(days=1)
        rungs.append(Rung(EscalationLevel.REMINDER, today, horizon))
    return rungs


def wait_rungs(kind: WaitKind, today: date, cal: BusinessCalendar) -> list[Rung]:
    """wait_levels_due() as ranges of the day a wait started."""
    allowance = setting("TRIAGE_BUSINESS_DAYS") if kind == WaitKind.TRIAGE else \
        setting("DEADLINE_APPLICANT_REPLY_BUSINESS_DAYS")
    later = setting("DEADLINE_SECOND_LEVEL_BUSINESS_DAYS") if kind == WaitKind.TRIAGE else \
        setting("DEADLINE_APPLICANT_DECIDE_BUSINESS_DAYS")
    first, second = (EscalationLevel.OVERDUE, EscalationLevel.SECOND) if kind == WaitKind.TRIAGE else \
        (EscalationLevel.REMINDER, EscalationLevel.OVERDUE)
    yesterday = today - timedelta(days=1)
    return [
        Rung(first, None, _last_day(yesterday, lambda d: cal.add_business_days(d, allowance) < today)),
        Rung(second, None, _last_day(
            yesterday, lambda d: cal.add_business_days(cal.add_business_days(d, allowance), later) < today)),
    ]


def _insert_fired(table, key: list[str], rows: list[dict]) -> list:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING: the rows this call
    fired; a row another sweep inserted first (it waits for that sweep's
    transaction on PostgreSQL) is not returned. One statement (core.bulk)."""
    return insert_rows(table.__table__, rows, on_conflict=key, returning=["id", key[0]])


def _batches(query, id_column, limit: int | None) -> Iterator[list]:
    """The query's rows in batches by id (keyset: later batches never re-read earlier ones)."""
    after, seen = 0, 0
    while True:
        size = BATCH if limit is None else min(BATCH, limit - seen)
        if size <= 0:
            return
        rows = db.session.execute(query.where(id_column > after).order_by(id_column).limit(size)).all()
        if not rows:
            return
        yield rows
        seen += len(rows)
        after = rows[-1][0]


class _People:
    """Who is told, looked up once per department (or wait kind) and level in one sweep."""

    def __init__(self):
        self.cache: dict[tuple, list[User]] = {}

    def for_department(self, department_id: int, level: EscalationLevel) -> list[User]:
        key = ("department", department_id, level)
        if key not in self.cache:
            self.cache[key] = department_recipients(department_id, level)
        return self.cache[key]

    def department(self, department_id: int) -> Department:
        key = ("department row", department_id)
        if key not in self.cache:
            self.cache[key] = db.session.get(Department, department_id)
        return self.cache[key]

    def for_wait(self, wait: Wait, level: EscalationLevel) -> list[User]:
        if wait.kind == WaitKind.APPLICANT and level == EscalationLevel.REMINDER:
            return wait_recipients(wait, level)  # the applicant's organisation: each proposal its own
        key = ("wait", wait.kind, wait.department_id, level)
        if key not in self.cache:
            self.cache[key] = wait_recipients(wait, level)
        return self.cache[key]


@dataclass(frozen=True)
class Partition:
    """One of `count` sweeps that share the work when one is not enough:
    this one takes the departments whose id is `index` modulo `count` (and
    the waits of the proposals whose id is). Each rung still fires once
    whatever the partitions: the unique keys decide, as between two sweeps."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> "Partition":
        """"2/4": the third of four."""
        index, _, count = text.partition("/")
        partition = cls(int(index), int(count))
        if not 0 <= partition.index < partition.count:
            raise ValueError(text)
        return partition

    def of(self, column):
        return column % self.count == self.index


def sweep(now: datetime | None = None, *, limit: int | None = None, commit_each_batch: bool = False,
          partition: Partition | None = None) -> SweepResult:
    """Fire every rung of the ladders that is due and has not fired yet.
    Flushes, and the caller commits; with `commit_each_batch` each batch of
    rungs is committed as it is done (a crash loses nothing fired).
    `limit` caps the rows read per rung; `partition` takes a share of the
    departments (docs/scaling.md)."""
    now = now or clock.now()
    today = local_today(now)
    cal = calendar()
    result = SweepResult()
    actor = Actor.scheduler(SWEEP_ACTOR_LABEL)
    people, mails = _People(), DeadlineEmails()
    rungs = deadline_rungs(today, cal)
    for kind in DeadlineKind:
        if not _any_rung_due(kind, rungs, partition):
            continue  # the usual case once the day's rungs have fired: one cheap query, not one per rung
        for rung in rungs:
            _fire_deadline_rung(kind, rung, now, people, mails, actor, result, limit, commit_each_batch, partition)
    _sweep_waits(now, today, cal, result, actor, people, limit, commit_each_batch, partition)
    db.session.flush()
    return result


def _owed(kind: DeadlineKind):
    if kind == DeadlineKind.ACK:
        return Assignment.ack_due_on, Assignment.acknowledged_at
    return Assignment.answer_due_on, Assignment.answered_at


def _owed_query(kind: DeadlineKind, partition: Partition | None, *columns):
    """The running, unpaused assignments that still owe `kind` (the rungs' common conditions)."""
    due, met = _owed(kind)
    query = (
        sa.select(*columns).select_from(Assignment).join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Assignment.status == AssignmentStatus.ACTIVE, Assignment.paused_since.is_(None),
               Proposal.state.in_(RUNNING_STATES), met.is_(None), due.is_not(None))
    )
    if partition is not None:
        query = query.where(partition.of(Assignment.department_id))
    return query


def _not_fired(kind: DeadlineKind, level: EscalationLevel):
    due, _ = _owed(kind)
    return ~sa.exists().where(Escalation.assignment_id == Assignment.id, Escalation.deadline_kind == kind,
                              Escalation.due_on == due, Escalation.level == level)


def _in_rung(kind: DeadlineKind, rung: Rung):
    due, _ = _owed(kind)
    return sa.and_(due <= rung.last, *([due >= rung.first] if rung.first is not None else []))


def _any_rung_due(kind: DeadlineKind, rungs: list[Rung], partition: Partition | None) -> bool:
    """Whether any rung of `kind` is due and has not fired: one query for all the rungs."""
    query = _owed_query(kind, partition, sa.literal(1)).where(
        sa.or_(*(sa.and_(_in_rung(kind, rung), _not_fired(kind, rung.level)) for rung in rungs)))
    return db.session.execute(query.limit(1)).first() is not None


def _fire_deadline_rung(kind: DeadlineKind, rung: Rung, now: datetime, people: _People, mails: DeadlineEmails,
                        actor: Actor, result: SweepResult, limit: int | None, commit_each_batch: bool,
                        partition: Partition | None) -> None:
    due, _ = _owed(kind)
    query = _owed_query(kind, partition, Assignment.id, Assignment.department_id, due) \
        .where(_in_rung(kind, rung), _not_fired(kind, rung.level))
    for rows in _batches(query, Assignment.id, limit):
        result.candidates += len(rows)
        fired = dict(_insert_fired(Escalation, ["assignment_id", "deadline_kind", "due_on", "level"], [
            {"assignment_id": assignment_id, "deadline_kind": kind, "due_on": due_on, "level": rung.level,
             "fired_at": now, "recipients": len(people.for_department(department_id, rung.level))}
            for assignment_id, department_id, due_on in rows]))
        if fired:
            # escalation id -> assignment id, inverted: the rows this sweep fired
            by_assignment = {assignment_id: escalation_id for escalation_id, assignment_id in fired.items()}
            fired_rows = db.session.execute(
                sa.select(Assignment.id, Assignment.proposal_id, Assignment.department_id, due,
                          Proposal.reference, Proposal.title)
                .join(Proposal, Proposal.id == Assignment.proposal_id)
                .where(Assignment.id.in_(list(by_assignment))).order_by(Assignment.id)).all()
            emails, events = [], []
            for assignment_id, proposal_id, department_id, due_on, reference, title in fired_rows:
                recipients = people.for_department(department_id, rung.level)
                emails += mails.rows(proposal_id=proposal_id, reference=reference, title=title,
                                     department=people.department(department_id), kind=kind, due_on=due_on,
                                     level=rung.level, escalation_id=by_assignment[assignment_id],
                                     recipients=recipients)
                events.append({"kind": f"deadline_{rung.level.value}", "proposal_id": proposal_id,
                               "department_id": department_id,
                               "data": {"assignment_id": assignment_id, "deadline": kind.value,
                                        "due_on": due_on.isoformat(), "level": rung.level.value,
                                        "recipients": len(recipients)}})
            queue_emails(emails)
            record_events(actor, events)
            result.fired[rung.level.value] += len(fired_rows)
            result.emails += len(emails)
        _end_batch(commit_each_batch)


def _end_batch(commit: bool) -> None:
    db.session.flush()
    if commit:
        db.session.commit()


def _sweep_waits(now: datetime, today: date, cal: BusinessCalendar, result: SweepResult, actor: Actor,
                 people: _People, limit: int | None, commit_each_batch: bool, partition: Partition | None) -> None:
    open_missing_waits(now)
    for kind in WaitKind:
        for rung in wait_rungs(kind, today, cal):
            started_before = tokyo_moment(rung.last + timedelta(days=1), 0)  # started on or before rung.last
            query = (
                sa.select(Wait.id, Wait)
                .join(Proposal, Proposal.id == Wait.proposal_id)
                .where(Wait.ended_at.is_(None), Wait.kind == kind, Proposal.state.in_(list(WAIT_KIND_OF)),
                       Wait.started_at < started_before,
                       ~sa.exists().where(WaitEscalation.wait_id == Wait.id, WaitEscalation.level == rung.level))
            )
            if partition is not None:
                query = query.where(partition.of(Wait.proposal_id))
            for rows in _batches(query, Wait.id, limit):
                result.candidates += len(rows)
                _fire_wait_batch([wait for _, wait in rows], rung.level, now, today, cal, people, actor, result)
                _end_batch(commit_each_batch)


def _fire_wait_batch(waits: list[Wait], level: EscalationLevel, now: datetime, today: date, cal: BusinessCalendar,
                     people: _People, actor: Actor, result: SweepResult) -> None:
    due = {wait.id: wait_due_on(wait, cal) for wait in waits}
    waits = [wait for wait in waits if level in wait_levels_due(wait, due[wait.id], today, cal)]  # the rule decides
    # The batch's proposals in one query (the applicant's reminder looks each up for its recipients).
    proposals = {p.id: p for p in db.session.scalars(
        sa.select(Proposal).where(Proposal.id.in_([wait.proposal_id for wait in waits])))}
    recipients = {wait.id: people.for_wait(wait, level) for wait in waits}
    fired = dict(_insert_fired(WaitEscalation, ["wait_id", "level"], [
        {"wait_id": wait.id, "level": level, "due_on": due[wait.id], "fired_at": now,
         "recipients": len(recipients[wait.id])} for wait in waits]))
    if not fired:
        return
    by_wait = {wait_id: escalation_id for escalation_id, wait_id in fired.items()}
    waits = [wait for wait in waits if wait.id in by_wait]
    proposal_ids = [wait.proposal_id for wait in waits]
    departments = {d.id: d for d in db.session.scalars(sa.select(Department).where(
        Department.id.in_({wait.department_id for wait in waits if wait.department_id})))}
    questions = dict(db.session.execute(  # the latest question per proposal (ordered by id: the last one wins)
        sa.select(Event.proposal_id, Event.comment)
        .where(Event.proposal_id.in_(proposal_ids), Event.kind == "state_changed", Event.to_state == "info_requested")
        .order_by(Event.id)).all())
    emails, events = [], []
    for wait in waits:
        sent = wait_emails(wait, level, due[wait.id], by_wait[wait.id], recipients[wait.id],
                           proposals[wait.proposal_id], departments.get(wait.department_id),
                           questions.get(wait.proposal_id) if wait.kind == WaitKind.APPLICANT else None)
        emails += sent
        events.append({"kind": f"{wait.kind.value}_wait_{level.value}", "proposal_id": wait.proposal_id,
                       "department_id": wait.department_id,
                       "data": {"wait_id": wait.id, "wait": wait.kind.value,
                                "since": local_today(wait.started_at).isoformat(), "due_on": due[wait.id].isoformat(),
                                "level": level.value, "recipients": len(sent)}})
        result.waits[f"{wait.kind.value}/{level.value}"] += 1
    queue_emails(emails)
    record_events(actor, events)
    result.emails += len(emails)
