"""Business-day deadlines and the escalation ladder.

Deadlines live in Assignment.ack_due_on / answer_due_on (indexed). They are
set when a department is assigned and moved in the same transaction as every
change of the proposal: the clock runs only while the proposal sits with the
departments (assigned, in_consultation); while the applicant owes an answer
(info_requested) or the window re-triages (triage), the open assignments are
paused, and when the clock restarts each unmet due date moves by the
business days the pause lasted.

Every function takes `today` / `now` explicitly where time matters; the
signal receivers use `clock.now()`, which tests and the simulation may set.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from core.audit import Actor, record_event
from core.calendar import TOKYO, BusinessCalendar, local_today, to_local
from core.extensions import db
from core.models import Department, DepartmentKind, Role, User, utcnow
from proposals.lifecycle import Transition
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, Proposal, State
from responses.models import (
    DeadlineKind,
    DepartmentHead,
    Escalation,
    EscalationLevel,
    Wait,
    WaitEscalation,
    WaitKind,
)

# The clock runs in these states; other open states pause it.
RUNNING_STATES = frozenset({State.ASSIGNED, State.IN_CONSULTATION})
PAUSED_STATES = frozenset({State.INFO_REQUESTED, State.TRIAGE})
SWEEP_ACTOR_LABEL = "deadline sweep"

DEFAULTS = {
    "DEADLINE_ACK_BUSINESS_DAYS": 5,
    "DEADLINE_ANSWER_BUSINESS_DAYS": 20,
    "DEADLINE_REMINDER_BUSINESS_DAYS": 2,  # reminder this many business days before the due date
    "DEADLINE_SECOND_LEVEL_BUSINESS_DAYS": 5,  # second level this many business days after the due date
    # The window's triage allowance (the triage queue flags a proposal past it): then its managers are told.
    "TRIAGE_BUSINESS_DAYS": 2,
    # The applicant is reminded when a question is unanswered this many business days …
    "DEADLINE_APPLICANT_REPLY_BUSINESS_DAYS": 10,
    # … and this many business days later the department that asked and the window decide.
    "DEADLINE_APPLICANT_DECIDE_BUSINESS_DAYS": 5,
}
# Waiting on someone other than a department: the window, or the applicant.
WAIT_KIND_OF = {State.SUBMITTED: WaitKind.TRIAGE, State.TRIAGE: WaitKind.TRIAGE,
                State.INFO_REQUESTED: WaitKind.APPLICANT}


# --- the clock --------------------------------------------------------------------------------

class _Clock:
    """utcnow(), unless a test or the simulation has set the time."""

    def __init__(self):
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen or utcnow()

    @contextlib.contextmanager
    def frozen(self, moment: datetime) -> Iterator[None]:
        previous, self._frozen = self._frozen, _aware(moment)
        try:
            yield
        finally:
            self._frozen = previous

    def set(self, moment: datetime | None) -> None:
        self._frozen = _aware(moment) if moment else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


clock = _Clock()


def tokyo_moment(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A moment on a Tokyo calendar day, in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO).astimezone(UTC)


# --- settings ---------------------------------------------------------------------------------

def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def ack_days(department: Department) -> int:
    return department.ack_business_days or setting("DEADLINE_ACK_BUSINESS_DAYS")


def answer_days(department: Department) -> int:
    return department.answer_business_days or setting("DEADLINE_ANSWER_BUSINESS_DAYS")


def calendar() -> BusinessCalendar:
    """The calendar with the administrator's closed days (cached per transaction)."""
    cached = db.session.info.get("business_calendar")
    if cached is None:
        cached = db.session.info["business_calendar"] = BusinessCalendar.from_database()
    return cached


def forget_calendar() -> None:
    db.session.info.pop("business_calendar", None)


def subtract_business_days(cal: BusinessCalendar, end: date, count: int) -> date:
    """The day from which `count` business days remain until `end`."""
    day = end
    remaining = count
    while remaining > 0:
        if cal.is_business_day(day):
            remaining -= 1
        day -= timedelta(days=1)
    return day


def previous_business_day(cal: BusinessCalendar, day: date) -> date:
    day -= timedelta(days=1)
    while not cal.is_business_day(day):
        day -= timedelta(days=1)
    return day


# --- computing and moving deadlines -----------------------------------------------------------

def set_initial_deadlines(assignment: Assignment, now: datetime, cal: BusinessCalendar | None = None) -> None:
    """Due dates counted in business days from the day of assignment (Tokyo)."""
    cal = cal or calendar()
    department = assignment.department or db.session.get(Department, assignment.department_id)
    start = local_today(now)
    assignment.assigned_at = now
    assignment.ack_due_on = cal.add_business_days(start, ack_days(department))
    assignment.answer_due_on = cal.add_business_days(start, answer_days(department))


def pause(assignment: Assignment, now: datetime) -> None:
    if assignment.paused_since is None:
        assignment.paused_since = now


def resume(assignment: Assignment, now: datetime, cal: BusinessCalendar | None = None) -> int:
    """Restart the clock; unmet due dates move by the business days paused."""
    if assignment.paused_since is None:
        return 0
    cal = cal or calendar()
    paused = cal.business_days_between(local_today(assignment.paused_since), local_today(now))
    stood_still = max(int((now - assignment.paused_since).total_seconds()), 0)
    if assignment.acknowledged_at is None:
        assignment.ack_paused_seconds = (assignment.ack_paused_seconds or 0) + stood_still
    if assignment.answered_at is None:
        assignment.answer_paused_seconds = (assignment.answer_paused_seconds or 0) + stood_still
    if paused:
        if assignment.acknowledged_at is None and assignment.ack_due_on is not None:
            assignment.ack_due_on = cal.add_business_days(assignment.ack_due_on, paused)
        if assignment.answered_at is None and assignment.answer_due_on is not None:
            assignment.answer_due_on = cal.add_business_days(assignment.answer_due_on, paused)
    assignment.paused_since = None
    return paused


def _active_assignments(proposal_id: int) -> list[Assignment]:
    return db.session.scalars(
        sa.select(Assignment).where(Assignment.proposal_id == proposal_id, Assignment.status == AssignmentStatus.ACTIVE)
    ).all()


def on_assigned(proposal: Proposal, assignments: list[Assignment], **_) -> None:
    """proposal_assigned: new assignments get their due dates, in the same transaction."""
    now = clock.now()
    for assignment in assignments:
        set_initial_deadlines(assignment, now)
        if proposal.state not in RUNNING_STATES:
            pause(assignment, now)
    db.session.flush()
    from responses.notifications import notify_assigned

    for assignment in assignments:
        notify_assigned(assignment)


def on_transitioned(proposal: Proposal, transition: Transition, **_) -> None:
    """proposal_transitioned: pause or restart the clock with the state."""
    now = clock.now()
    source, target = transition.source, transition.target
    if target in RUNNING_STATES and source not in RUNNING_STATES:
        for assignment in _active_assignments(proposal.id):
            resume(assignment, now)
        if source == State.INFO_REQUESTED:
            from responses.notifications import notify_applicant_replied

            event = _.get("event")
            for assignment in _active_assignments(proposal.id):
                if assignment.role.value == "lead" and event is not None:
                    notify_applicant_replied(assignment, event.id)
    elif target in PAUSED_STATES and source not in PAUSED_STATES:
        for assignment in _active_assignments(proposal.id):
            pause(assignment, now)
    _follow_wait(proposal, source, target, now, _.get("event"))
    db.session.flush()


# --- waits on the window or the applicant -----------------------------------------------------

def open_wait(proposal_id: int) -> Wait | None:
    return db.session.scalar(sa.select(Wait).where(Wait.proposal_id == proposal_id, Wait.ended_at.is_(None)))


def _follow_wait(proposal: Proposal, source: State, target: State, now: datetime, event) -> None:
    """Close the wait the proposal leaves and open the one it enters, in the
    same transaction as the state change (submitted → triage stays one wait)."""
    kind = WAIT_KIND_OF.get(State(target))
    current = open_wait(proposal.id)
    if current is not None and current.kind == kind and WAIT_KIND_OF.get(State(source)) == kind:
        return
    if current is not None:
        current.ended_at = now
        db.session.flush()
    if kind is None:
        return
    department_id = None
    if kind == WaitKind.APPLICANT:
        department_id = (event.data or {}).get("department_id") if event is not None else None
        if department_id is None and source in RUNNING_STATES:
            department_id = db.session.scalar(sa.select(Assignment.department_id).where(
                Assignment.proposal_id == proposal.id, Assignment.status == AssignmentStatus.ACTIVE,
                Assignment.role == AssignmentRole.LEAD))
    db.session.add(Wait(proposal_id=proposal.id, kind=kind, started_at=now, department_id=department_id))
    db.session.flush()


def wait_due_on(wait: Wait, cal: BusinessCalendar | None = None) -> date:
    """The window's triage allowance, or the business days the applicant has to answer."""
    cal = cal or calendar()
    days = setting("TRIAGE_BUSINESS_DAYS") if wait.kind == WaitKind.TRIAGE else \
        setting("DEADLINE_APPLICANT_REPLY_BUSINESS_DAYS")
    return cal.add_business_days(local_today(wait.started_at), days)


def wait_levels_due(wait: Wait, due_on: date, today: date, cal: BusinessCalendar) -> list[EscalationLevel]:
    """Triage: overdue the day after the allowance (the window's managers and
    staff), second level DEADLINE_SECOND_LEVEL_BUSINESS_DAYS later (the
    window's managers and the administrators). The applicant: a reminder the
    day after their N business days (to the applicant), then
    DEADLINE_APPLICANT_DECIDE_BUSINESS_DAYS later the department that asked
    and the window, who decide: close it, chase, or carry on without the answer."""
    if today <= due_on:
        return []
    if wait.kind == WaitKind.TRIAGE:
        levels = [EscalationLevel.OVERDUE]
        if today > cal.add_business_days(due_on, setting("DEADLINE_SECOND_LEVEL_BUSINESS_DAYS")):
            levels.append(EscalationLevel.SECOND)
        return levels
    levels = [EscalationLevel.REMINDER]
    if today > cal.add_business_days(due_on, setting("DEADLINE_APPLICANT_DECIDE_BUSINESS_DAYS")):
        levels.append(EscalationLevel.OVERDUE)
    return levels


def open_missing_waits(now: datetime) -> int:
    """Proposals waiting on the window or the applicant without an open wait
    (there before waits were recorded, or set by hand): their wait starts at
    the last state change that put them there."""
    rows = db.session.execute(
        sa.select(Proposal.id, Proposal.state, Proposal.submitted_at)
        .where(Proposal.state.in_(list(WAIT_KIND_OF)),
               ~sa.select(Wait.id).where(Wait.proposal_id == Proposal.id, Wait.ended_at.is_(None)).exists())
    ).all()
    from core.models import Event

    opened = 0
    for proposal_id, state, submitted_at in rows:
        since = db.session.scalar(
            sa.select(Event.created_at).where(Event.proposal_id == proposal_id, Event.kind == "state_changed",
                                              Event.to_state == state.value)
            .order_by(Event.id.desc()).limit(1)
        ) or submitted_at or now
        try:
            with db.session.begin_nested():
                db.session.add(Wait(proposal_id=proposal_id, kind=WAIT_KIND_OF[state], started_at=since))
        except sa.exc.IntegrityError:
            continue  # another sweep opened it first
        opened += 1
    return opened


def _sweep_waits(now: datetime, today: date, cal: BusinessCalendar, result: "SweepResult", actor: Actor) -> None:
    from responses.notifications import notify_wait

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


def shift_for_closed_day(day: date, added: bool, now: datetime) -> int:
    """An administrator added (or removed) a closed day: each unmet due date
    whose counting window contains that day moves by one business day."""
    forget_calendar()
    cal = calendar()
    moved = 0
    today = local_today(now)
    if day < today:
        return 0
    rows = db.session.scalars(
        sa.select(Assignment).where(
            Assignment.status == AssignmentStatus.ACTIVE,
            sa.or_(
                sa.and_(Assignment.acknowledged_at.is_(None), Assignment.ack_due_on >= day),
                sa.and_(Assignment.answered_at.is_(None), Assignment.answer_due_on >= day),
            ),
        )
    ).all()
    for assignment in rows:
        for column, met in (("ack_due_on", assignment.acknowledged_at), ("answer_due_on", assignment.answered_at)):
            due = getattr(assignment, column)
            if met is not None or due is None or due < day:
                continue
            if added:
                setattr(assignment, column, cal.add_business_days(due, 1))
            else:
                setattr(assignment, column, previous_business_day(cal, due) if cal.is_business_day(day) else due)
            moved += 1
    db.session.flush()
    return moved


# --- where things stand -----------------------------------------------------------------------

@dataclass(frozen=True)
class Standing:
    kind: DeadlineKind
    due_on: date
    overdue: bool
    due_soon: bool
    business_days_left: int  # negative when overdue


def open_deadline(assignment: Assignment, today: date, cal: BusinessCalendar | None = None) -> Standing | None:
    """The deadline the department owes next (acknowledgement first), or
    None when nothing runs: met, paused, or the proposal has moved on."""
    cal = cal or calendar()
    if assignment.status != AssignmentStatus.ACTIVE or assignment.paused_since is not None:
        return None
    if assignment.proposal is not None and assignment.proposal.state not in RUNNING_STATES:
        return None  # decided, or paused: nothing is owed on a clock right now
    if assignment.acknowledged_at is None and assignment.ack_due_on:
        kind, due = DeadlineKind.ACK, assignment.ack_due_on
    elif assignment.answered_at is None and assignment.answer_due_on:
        kind, due = DeadlineKind.ANSWER, assignment.answer_due_on
    else:
        return None
    if today > due:
        left = -cal.business_days_between(due, today)
    else:
        left = cal.business_days_between(today, due)
    reminder = setting("DEADLINE_REMINDER_BUSINESS_DAYS")
    return Standing(kind, due, today > due, today <= due and left <= reminder, left)


# --- the sweep --------------------------------------------------------------------------------

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
    elif reminder_days and today >= subtract_business_days(cal, due_on, reminder_days):
        levels.append(EscalationLevel.REMINDER)
    return levels


def _insert_once(table, key: list[str], **values):
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING id: the id when this
    call fired the level, None when someone (another sweep) already had. On
    PostgreSQL a concurrent insert of the same key waits for the other
    transaction and then does nothing. One helper for the departments'
    ladder (Escalation) and the waits' (WaitEscalation)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
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
    from responses.notifications import notify_escalation

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


# --- who is told --------------------------------------------------------------------------------

def _users(*conditions) -> list[User]:
    return db.session.scalars(sa.select(User).where(User.active, *conditions).order_by(User.id)).all()


def window_department_ids() -> list[int]:
    return db.session.scalars(sa.select(Department.id).where(Department.kind == DepartmentKind.TRIAGE)).all()


def recipients_for(assignment: Assignment, level: EscalationLevel) -> list[User]:
    """Reminder: the department. Overdue: its managers and the window's
    staff. Second level: the head of the bureau or ward and the window's
    managers. Nobody on record never means nobody told: each level falls
    back to the next wider circle, and the administrators in the end."""
    dept = assignment.department_id
    staff = _users(User.department_id == dept, User.role.in_([Role.DEPARTMENT_STAFF, Role.DEPARTMENT_MANAGER]))
    managers = [u for u in staff if u.role == Role.DEPARTMENT_MANAGER] or staff
    windows = window_department_ids()
    if level == EscalationLevel.REMINDER:
        people = staff
    elif level == EscalationLevel.OVERDUE:
        people = managers + _users(User.department_id.in_(windows), User.role == Role.WINDOW)
    else:
        heads = db.session.scalars(
            sa.select(User).join(DepartmentHead, DepartmentHead.user_id == User.id)
            .where(DepartmentHead.department_id == dept, User.active)
        ).all()
        people = list(heads) or managers
        people += _users(User.department_id.in_(windows), User.role == Role.DEPARTMENT_MANAGER)
    return _each_once_or_the_admins(people)


def wait_recipients(wait: Wait, level: EscalationLevel) -> list[User]:
    """The applicant's reminder goes to the applicant (notifications.notify_wait).
    Triage overdue: the window's managers and staff; second level: the
    window's managers and the administrators. The applicant silent: the
    department that asked and the window's staff and managers."""
    if wait.kind == WaitKind.APPLICANT and level == EscalationLevel.REMINDER:
        from intake.notifications import recipients

        proposal = db.session.get(Proposal, wait.proposal_id)
        return recipients(proposal, exclude_user_id=None, kind="public_changes")
    windows = window_department_ids()
    window_staff = _users(User.department_id.in_(windows), User.role == Role.WINDOW)
    window_managers = _users(User.department_id.in_(windows), User.role == Role.DEPARTMENT_MANAGER)
    if wait.kind == WaitKind.TRIAGE:
        people = window_managers + window_staff if level == EscalationLevel.OVERDUE else \
            window_managers + _users(User.role == Role.ADMIN)
    else:
        department = _users(User.department_id == wait.department_id,
                            User.role.in_([Role.DEPARTMENT_STAFF, Role.DEPARTMENT_MANAGER])) \
            if wait.department_id else []
        people = department + window_staff + window_managers
    return _each_once_or_the_admins(people)


def _each_once_or_the_admins(people: list[User]) -> list[User]:
    """Each person once, in order; nobody on record means the administrators,
    so an escalation never goes to no one."""
    if not people:
        people = _users(User.role == Role.ADMIN)
    unique: dict[int, User] = {}
    for person in people:
        unique.setdefault(person.id, person)
    return list(unique.values())


def detail_path(proposal_id: int) -> str:
    """The department's page for the proposal; works outside a request too."""
    return current_app.url_map.bind("localhost").build("responses.detail", {"proposal_id": proposal_id})


def due_at_end_of(day: date) -> datetime:
    return tokyo_moment(day + timedelta(days=1), 0)


def local(moment: datetime | None) -> datetime | None:
    return to_local(moment) if moment else None
