"""A year in simulation: proposals arrive, are assigned, departments answer
late at random (some never), applicants answer questions late (some never),
the clock advances day by day and the deadline sweep runs every morning.

After every sweep the stuck check runs: no open assignment past a due date
without its overdue escalation, no proposal waiting on the window or the
applicant past its wait's deadline without the first rung of that ladder,
and no open proposal that nobody holds (neither a running assignment nor
an open wait). At the end every proposal is classified — answered, or open
and escalated / chased, or open and still within its deadline — and any
open proposal in none of these (in any open state) counts as stuck: the run
fails (exit status 1).

Runs in a scratch database (a new SQLite file unless --database-url), never
in the application's own database.
"""

from __future__ import annotations

import contextlib
import random
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date, timedelta

import sqlalchemy as sa

from core.audit import Actor
from core.extensions import db
from core.models import (
    Department,
    DepartmentKind,
    Event,
    Membership,
    Organisation,
    OrganisationKind,
    OutboxEmail,
    Role,
    User,
)
from core.seed import seed_reference
from demo.simulation_patches import BREAKAGES, broken
from demo.simulation_report import Report, oracle_verdict, record_response_times
from proposals import operations
from proposals.lifecycle import OPEN_STATES
from proposals.models import Assignment, AssignmentStatus, Proposal, State
from responses import operations as answers
from responses.deadlines import RUNNING_STATES, WAIT_KIND_OF, calendar, clock, sweep, tokyo_moment, wait_due_on
from responses.models import Escalation, Wait, WaitEscalation

TAIL_DAYS = 120  # keep the clock running after the last arrival, so every proposal meets its deadlines


def run_simulation(*, app_factory, proposals: int, seed: int, start: date, days: int,
                   database_url: str | None = None, echo=print, tail_days: int = TAIL_DAYS,
                   breakage: str | None = None) -> Report:
    url = database_url or f"sqlite:///{tempfile.mkdtemp(prefix='deadline-sim-')}/simulation.sqlite3"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = app_factory({"SQLALCHEMY_DATABASE_URI": url, "OUTBOX_DISPATCH": "manual", "RATELIMIT_ENABLED": False,
                       "BASE_URL": "http://simulation.invalid"})
    report = Report(proposals=proposals, database_url=url, breakage=breakage)
    if breakage is not None and breakage not in BREAKAGES:
        raise ValueError(f"unknown breakage {breakage!r}; known: {', '.join(BREAKAGES)}")
    from flask_migrate import upgrade  # Alembic: imported when a simulation runs, not at `flask` start-up

    began = time.perf_counter()
    with app.app_context():
        if url.startswith("sqlite"):
            @sa.event.listens_for(db.engine, "connect")
            def _fast_scratch_file(dbapi_connection, _record):  # a scratch file: durability does not matter
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA journal_mode=MEMORY")
                cursor.close()

            db.engine.dispose()
        upgrade()
        # Every timestamp the application writes (core.columns.utcnow) follows the kernel's clock
        # (core/clock.py), which the simulation sets to each simulated moment.
        with broken(breakage) if breakage else contextlib.nullcontext():
            _Simulation(app, report, random.Random(seed), start, days, proposals, echo, tail_days).run()
        report.oracle = oracle_verdict(app, start, start + timedelta(days=days + tail_days - 1), SWEEP_HOUR)
        db.session.remove()
    report.seconds = time.perf_counter() - began
    return report


SWEEP_HOUR = 8  # Tokyo: the sweep runs every morning before the departments act (at 10)


class _Simulation:
    def __init__(self, app, report: Report, rng: random.Random, start: date, days: int, proposals: int, echo,
                 tail_days: int = TAIL_DAYS):
        self.app, self.report, self.rng, self.start, self.days, self.count, self.echo = (
            app, report, rng, start, days, proposals, echo)
        self.tail_days = tail_days
        self.todo: dict[date, list[tuple]] = defaultdict(list)
        self.decided_silence: set[int] = set()

    # --- set-up -----------------------------------------------------------------------------

    def setup(self) -> None:
        seed_reference()
        departments = db.session.scalars(sa.select(Department).order_by(Department.id)).all()
        self.window_dept = next(d for d in departments if d.kind == DepartmentKind.TRIAGE)
        self.departments = [d for d in departments if d.kind != DepartmentKind.TRIAGE]
        self.staff: dict[int, User] = {}
        for dept in departments:
            role = Role.WINDOW if dept is self.window_dept else Role.DEPARTMENT_STAFF
            staff = User(email=f"staff-{dept.code}@sim.invalid", name=f"{dept.code} staff", role=role,
                         department=dept, password_hash="!simulation")
            manager = User(email=f"manager-{dept.code}@sim.invalid", name=f"{dept.code} manager",
                           role=Role.DEPARTMENT_MANAGER, department=dept, password_hash="!simulation",
                           locale="en" if dept.id % 3 == 0 else "ja")
            db.session.add_all([staff, manager])
            self.staff[dept.id] = staff
        self.applicant = User(email="applicant@sim.invalid", role=Role.APPLICANT, name="提案者")
        organisation = Organisation(name="シミュレーション協議会", kind=OrganisationKind.NPO_CORP)
        organisation.memberships.append(Membership(user=self.applicant))
        db.session.add_all([self.applicant, organisation])
        db.session.flush()
        self.organisation = organisation
        db.session.commit()
        # Some departments are slower than others.
        self.slowness = {d.id: self.rng.choice([0.7, 1.0, 1.0, 1.3, 1.8]) for d in self.departments}

    # --- the day loop -------------------------------------------------------------------------

    def run(self) -> None:
        self.setup()
        cal = calendar()
        arrivals = Counter(self.rng.randrange(self.days) for _ in range(self.count))
        total_days = self.days + self.tail_days
        self.report.days = total_days
        for offset in range(total_days):
            day = self.start + timedelta(days=offset)
            with clock.frozen(tokyo_moment(day, SWEEP_HOUR)):
                result = sweep()
                db.session.commit()
                for level, fired in result.fired.items():
                    self.report.escalations[level] += fired
                for rung, fired in result.waits.items():
                    self.report.waits[rung] += fired
                if result.waits.get("applicant/overdue"):
                    self.window_decides(day, cal)
            stuck_now = self.stuck_count(day)
            self.report.stuck_daily_max = max(self.report.stuck_daily_max, stuck_now)
            with clock.frozen(tokyo_moment(day, 10)):
                for _ in range(arrivals.get(offset, 0)):
                    self.arrive(day, cal)
                for action in self.todo.pop(day, []):
                    self.act(day, cal, *action)
                db.session.commit()
            if offset % 60 == 0:
                self.echo(f"  day {offset:3d} {day}: escalations so far {dict(self.report.escalations)}")
        self.finish(self.start + timedelta(days=total_days - 1))

    def window_decides(self, day: date, cal) -> None:
        """The department and the window were told the applicant is silent:
        mostly the window carries on without the answer a few days later."""

        told = db.session.scalars(
            sa.select(Wait.proposal_id).join(WaitEscalation, WaitEscalation.wait_id == Wait.id)
            .where(Wait.ended_at.is_(None), WaitEscalation.level == "overdue", Wait.kind == "applicant")
        ).all()
        for proposal_id in told:
            if proposal_id in self.decided_silence:
                continue
            self.decided_silence.add(proposal_id)
            choice = self.rng.choices(["carry_on", "leave"], weights=[80, 20])[0]
            self.report.behaviour[f"window_after_silence_{choice}"] += 1
            if choice == "carry_on":
                self.todo[self.later(day, cal, self.rng.randint(1, 3))].append(("carry_on", proposal_id))

    def later(self, day: date, cal, business_days: int) -> date:
        return cal.add_business_days(day, max(business_days, 0)) if business_days > 0 else day + timedelta(days=1)

    # --- arrivals and assignment --------------------------------------------------------------

    def arrive(self, day: date, cal) -> None:
        proposal = Proposal(
            organisation=self.organisation, created_by=self.applicant, title=f"シミュレーション提案 {day}",
            summary="概要", issue="課題", activities="活動", outcomes="成果", consent_privacy=True,
        )
        db.session.add(proposal)
        db.session.flush()

        proposal.reference, proposal.fiscal_year = operations.next_reference(clock.now())
        proposal.submitted_at = clock.now()
        operations.transition(proposal, State.SUBMITTED, Actor.of_user(self.applicant))
        operations.transition(proposal, State.TRIAGE, Actor.system("simulation"))
        self.assign(proposal, day, cal, exclude=set())

    def assign(self, proposal, day: date, cal, exclude: set[int]) -> None:
        choices = [d for d in self.departments if d.id not in exclude]
        lead = self.rng.choice(choices)
        co_count = self.rng.choices([0, 1, 2], weights=[55, 35, 10])[0]
        co = self.rng.sample([d for d in choices if d.id != lead.id], co_count)
        created = operations.assign(proposal, lead.id, [d.id for d in co], Actor.of_user(self.staff[self.window_dept.id]),
                                    reason="simulation")
        for assignment in created:
            self.plan(assignment, day, cal, exclude | {lead.id})

    def plan(self, assignment, day: date, cal, tried: set[int]) -> None:
        """Draw how this department will behave, and schedule it."""
        rng = self.rng
        slow = self.slowness[assignment.department_id]
        lead = assignment.role.value == "lead"
        ack = rng.choices(["on_time", "late", "never"], weights=[70, 22, 8])[0]
        self.report.behaviour[f"ack_{ack}"] += 1
        if ack != "never":
            delay = rng.randint(1, 4) if ack == "on_time" else rng.randint(6, 12)
            self.todo[self.later(day, cal, round(delay * slow))].append(("ack", assignment.id))
        if not lead:
            opinion = rng.choices(["on_time", "late", "never"], weights=[65, 25, 10])[0]
            self.report.behaviour[f"co_opinion_{opinion}"] += 1
            if opinion != "never":
                delay = rng.randint(3, 18) if opinion == "on_time" else rng.randint(21, 45)
                self.todo[self.later(day, cal, round(delay * slow))].append(("opinion", assignment.id))
            return
        path = rng.choices(["decide", "not_ours", "info", "meeting", "silent"], weights=[52, 7, 18, 15, 8])[0]
        if path == "not_ours" and len(tried) >= 3:
            path = "decide"
        self.report.behaviour[f"lead_{path}"] += 1
        if path == "silent":
            return  # never answers: the ladder must catch it
        answer = rng.choices(["on_time", "late", "very_late"], weights=[62, 28, 10])[0]
        self.report.behaviour[f"answer_{answer}"] += 1
        delay = {"on_time": rng.randint(5, 19), "late": rng.randint(21, 35), "very_late": rng.randint(40, 80)}[answer]
        delay = round(delay * slow)
        if path == "not_ours":
            self.todo[self.later(day, cal, rng.randint(2, 8))].append(("not_ours", assignment.id, tuple(tried)))
        elif path == "info":
            ask = rng.randint(2, 8)
            self.todo[self.later(day, cal, ask)].append(("info", assignment.id, max(delay - ask, 2)))
        elif path == "meeting":
            meet = rng.randint(3, 10)
            self.todo[self.later(day, cal, meet)].append(("meeting", assignment.id))
            self.todo[self.later(day, cal, max(delay, meet + 3))].append(("decide", assignment.id))
        else:
            self.todo[self.later(day, cal, delay)].append(("decide", assignment.id))

    # --- department and applicant actions -------------------------------------------------------

    def act(self, day: date, cal, kind: str, assignment_id: int, *extra) -> None:
        if kind in ("reply", "reassign", "carry_on"):
            proposal = db.session.get(Proposal, assignment_id)  # for these the id is the proposal's
            if kind == "reply" and proposal.state == State.INFO_REQUESTED:
                operations.answer_info_request(proposal, Actor.of_user(self.applicant), "回答します。")
            elif kind == "reassign" and proposal.state == State.TRIAGE:
                self.assign(proposal, day, cal, exclude=set(extra[0]))
            elif kind == "carry_on" and proposal.state == State.INFO_REQUESTED:
                operations.transition(proposal, proposal.resume_state, Actor.of_user(self.staff[self.window_dept.id]),
                                      comment="回答を待たずに検討を続けます。", data={"without_answer": True})
                lead = answers.lead_assignment(proposal.id)
                if lead is not None and self.rng.random() < 0.85:  # mostly the lead then decides
                    delay = round(self.rng.randint(3, 15) * self.slowness[lead.department_id])
                    self.todo[self.later(day, cal, delay)].append(("decide", lead.id))
            return
        assignment = db.session.get(Assignment, assignment_id)
        if assignment is None or assignment.status != AssignmentStatus.ACTIVE:
            return
        proposal = db.session.get(Proposal, assignment.proposal_id)
        actor = Actor.of_user(self.staff[assignment.department_id])
        if proposal.state in (State.INFO_REQUESTED, State.TRIAGE) and kind != "ack":
            self.todo[day + timedelta(days=1)].append((kind, assignment_id, *extra))  # wait for the applicant
            return
        try:
            if kind == "ack":
                if assignment.acknowledged_at is None:
                    answers.acknowledge(assignment, actor)
            elif kind == "opinion":
                answers.co_opinion(assignment, actor, "協力できます。")
            elif kind == "meeting" and proposal.state == State.ASSIGNED:
                answers.propose_meeting(assignment, actor, ["来週火曜 14時"], "協議しましょう。")
            elif kind == "info" and proposal.state in (State.ASSIGNED, State.IN_CONSULTATION):
                answers.request_information(assignment, actor, "詳しく教えてください。")
                reply = self.rng.choices(["soon", "late", "never"], weights=[75, 20, 5])[0]
                self.report.behaviour[f"applicant_reply_{reply}"] += 1
                if reply != "never":
                    wait = self.rng.randint(1, 10) if reply == "soon" else self.rng.randint(15, 40)
                    self.todo[day + timedelta(days=wait)].append(("reply", proposal.id))
                    self.todo[self.later(day + timedelta(days=wait), cal, extra[0])].append(("decide", assignment_id))
            elif kind == "not_ours":
                answers.not_ours(assignment, actor, "他部署が適切です。")
                tried = set(extra[0]) | {assignment.department_id}
                self.todo[self.later(day, cal, self.rng.randint(1, 3))].append(("reassign", proposal.id, tuple(tried)))
            elif kind == "decide" and proposal.state in (State.ASSIGNED, State.IN_CONSULTATION):
                if self.rng.random() < 0.45:
                    answers.adopt(assignment, actor, "採択します。", answers.NextSteps(budget_year=2027),
                                 without_opinions=True)  # the simulated lead decides knowingly
                else:
                    answers.not_adopt(assignment, actor, "予算がありません。", "今回は見送ります。", without_opinions=True)
                self.report.decisions += 1
                if assignment.answer_due_on and day > assignment.answer_due_on:
                    self.report.late_answers += 1
        except operations.TransitionError as error:
            raise RuntimeError(f"simulation: {kind} on assignment {assignment_id} refused: {error}") from error

    def finish(self, last_day: date) -> None:
        report = self.report
        report.final_states = Counter(s.value for s in db.session.scalars(sa.select(Proposal.state)))
        for status, role, count in db.session.execute(
            sa.select(Assignment.status, Assignment.role, sa.func.count()).group_by(Assignment.status, Assignment.role)
        ):
            report.assignments[f"{role.value}/{status.value}"] = count
        report.emails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))
        report.events = db.session.scalar(sa.select(sa.func.count()).select_from(Event))
        stuck_ids = self.stuck_proposals(last_day, collect=True)  # as checked after the last day's sweep
        escalated = set(db.session.scalars(
            sa.select(Assignment.proposal_id).join(Escalation, Escalation.assignment_id == Assignment.id)
            .where(Assignment.status == AssignmentStatus.ACTIVE, Escalation.level.in_(["overdue", "second"]))))
        waits = {w.proposal_id: w for w in db.session.scalars(sa.select(Wait).where(Wait.ended_at.is_(None)))}
        rungs = defaultdict(set)
        for wait_id, level in db.session.execute(sa.select(WaitEscalation.wait_id, WaitEscalation.level)):
            rungs[wait_id].add(level.value)
        for proposal in db.session.scalars(sa.select(Proposal)):
            state = proposal.state
            wait = waits.get(proposal.id)
            fired = rungs.get(wait.id, set()) if wait is not None else set()
            if proposal.id in stuck_ids:
                ending = f"STUCK in {state.value}"
            elif state in (State.ADOPTED, State.NOT_ADOPTED):
                ending = "answered (decision sent)"
            elif state in RUNNING_STATES:
                ending = "open, escalated" if proposal.id in escalated else "open, within its deadline"
            elif state == State.INFO_REQUESTED:
                ending = ("waiting for the applicant, chased; department and window told" if "overdue" in fired
                          else "waiting for the applicant, chased" if "reminder" in fired
                          else "waiting for the applicant, within the reply time")
            elif state in (State.SUBMITTED, State.TRIAGE):
                ending = "in triage, escalated to the window" if fired else "in triage, within the allowance"
            elif state in OPEN_STATES:
                ending = f"STUCK in {state.value}"  # an open state nobody watches
            else:
                ending = state.value
            report.classification[ending] += 1
        report.stuck = sum(count for ending, count in report.classification.items() if ending.startswith("STUCK"))

        record_response_times(report)

    def stuck_count(self, today: date, collect: bool = False) -> int:
        return len(self.stuck_proposals(today, collect))

    def stuck_proposals(self, today: date, collect: bool = False) -> set[int]:
        """Open proposals nobody has been told about: a running assignment
        past a due date whose overdue notice has not fired; a wait on the
        window or the applicant past its deadline without its first rung; an
        open proposal that nobody holds (no running assignment, no open wait).
        The thing that must never happen."""

        stuck: dict[int, str] = {}
        for kind, due_column, met_column in (("ack", Assignment.ack_due_on, Assignment.acknowledged_at),
                                             ("answer", Assignment.answer_due_on, Assignment.answered_at)):
            fired = sa.select(Escalation.id).where(
                Escalation.assignment_id == Assignment.id, Escalation.deadline_kind == kind,
                Escalation.due_on == due_column, Escalation.level == "overdue").exists()
            query = (
                sa.select(Assignment.id, Assignment.proposal_id, Proposal.reference, due_column)
                .join(Proposal, Proposal.id == Assignment.proposal_id)
                .where(Assignment.status == AssignmentStatus.ACTIVE, Assignment.paused_since.is_(None),
                       Proposal.state.in_(RUNNING_STATES), met_column.is_(None), due_column < today, ~fired)
            )
            for aid, pid, ref, due in db.session.execute(query).all():
                stuck.setdefault(pid, f"{ref} assignment {aid}: {kind} due {due}, nobody told")
        cal = calendar()
        first_rung = sa.select(WaitEscalation.id).where(WaitEscalation.wait_id == Wait.id).exists()
        rows = db.session.execute(
            sa.select(Wait, Proposal.reference).join(Proposal, Proposal.id == Wait.proposal_id)
            .where(Wait.ended_at.is_(None), Proposal.state.in_(list(WAIT_KIND_OF)), ~first_rung)
        ).all()
        for wait, ref in rows:
            due = wait_due_on(wait, cal)
            if due < today:
                stuck.setdefault(wait.proposal_id, f"{ref}: waiting ({wait.kind.value}) past {due}, nobody told")
        held = sa.or_(
            sa.select(Assignment.id).where(Assignment.proposal_id == Proposal.id,
                                           Assignment.status == AssignmentStatus.ACTIVE,
                                           Assignment.role == "lead").exists(),
            sa.select(Wait.id).where(Wait.proposal_id == Proposal.id, Wait.ended_at.is_(None)).exists(),
        )
        for pid, ref, state in db.session.execute(
                sa.select(Proposal.id, Proposal.reference, Proposal.state)
                .where(Proposal.state.in_(list(OPEN_STATES)), ~held)).all():
            stuck.setdefault(pid, f"{ref}: open in {state.value}, held by nobody")
        if collect:
            self.report.stuck_examples += sorted(stuck.values())
        return set(stuck)
