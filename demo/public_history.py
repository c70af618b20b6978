"""One demo proposal's history, played through the rooms' operations at its
own past dates: the kernel's clock (core/clock.py) is set to each moment, so
every stamp — events, assignments, due dates, waits — is the moment's.

The applicant submits (routing runs the engine); the window confirms the
engine's lead or corrects it with a reason at the triage desk; departments
acknowledge, co-departments give their opinion, the lead asks for
information, proposes a meeting, adopts or declines; work starts and ends;
the lead records the evaluation; the window approves publication; the
applicant withdraws or the window merges. The moments are chosen first
(`Timeline`), in order and never later than `horizon`, then the operations
run."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from core.audit import Actor
from core.calendar import TOKYO, BusinessCalendar
from core.clock import frozen_at
from core.extensions import db
from core.models import Theme
from demo.fragments import (
    ADOPTED_REASONS,
    EVALUATION_SUMMARIES,
    INFO_QUESTIONS,
    MEETING_OPTIONS,
    NOT_ADOPTED_REASONS,
    THEME_TEXT,
)
from demo.public_people import Cast
from demo.public_plans import DECIDED, PATHS, Plan, tokyo_at
from intake.operations import withdraw
from proposals import operations as proposal_ops
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, State
from public.models import ExitReached, ReviewDecision
from public.operations import UNPUBLISHABLE_OUTCOMES, record_evaluation, set_publication
from responses.operations import (
    NextSteps,
    acknowledge,
    adopt,
    co_opinion,
    not_adopt,
    propose_meeting,
    request_information,
)
from routing.operations import change_routing, confirm, proposed_routing


@dataclass
class Timeline:
    """The moments of one history (UTC), each after the one before."""
    assigned: datetime | None = None
    acknowledged: datetime | None = None
    steps: dict[State, datetime] = field(default_factory=dict)
    co: dict[int, tuple[datetime | None, datetime | None]] = field(default_factory=dict)  # dept id: (ack, answer)
    started_on: date | None = None
    ended_on: date | None = None
    evaluated_at: datetime | None = None
    published_at: datetime | None = None


class History:
    def __init__(self, cast: Cast, rng: random.Random, calendar: BusinessCalendar, now: datetime, today: date):
        self.cast, self.rng, self.calendar, self.today = cast, rng, calendar, today
        self.horizon = now - timedelta(hours=2)  # nothing happens in the last two hours, nor after
        self.themes = {t.code: t for t in db.session.scalars(sa.select(Theme))}
        # Each department answers at its own pace: the statistics are not all alike.
        self.pace = {d.id: rng.uniform(0.6, 1.8) for d in cast.departments.values()}
        self.corrections = 0
        self.assigned = 0
        self._publication: tuple = (None, None)  # the proposal being played, and when the window approves it

    # --- the moments ----------------------------------------------------------------------------
    def _within(self, start: datetime, days: float, limit: datetime) -> datetime:
        """`days` after `start`, or (when that passes `limit`) somewhere before the limit."""
        wanted = start + timedelta(days=days)
        if wanted < limit:
            return wanted
        return start + (limit - start) * self.rng.uniform(0.5, 0.95)

    def _business_day_after(self, moment: datetime, days: float) -> datetime:
        day = self.calendar.add_business_days(moment.astimezone(TOKYO).date(), max(0, int(days)))
        return tokyo_at(day, self.rng.randint(9, 17), self.rng.randint(0, 59))

    def timeline(self, plan: Plan, lead_id: int, co_ids: list[int]) -> Timeline:
        rng, horizon, final = self.rng, self.horizon, plan.final
        t = Timeline()
        start = plan.submitted_at
        if final == State.MERGED:
            t.steps[State.MERGED] = self._within(start, rng.uniform(1, 5), horizon)
            return t
        if not PATHS[final]:
            return t
        t.assigned = min(max(self._business_day_after(start, rng.uniform(0.5, 4)),
                             start + timedelta(hours=rng.uniform(1, 30))),
                         start + (horizon - start) * 0.5)
        pace = self.pace[lead_id]
        days_to_ack = rng.uniform(0.1, 5) * pace
        # Only an assignment still at `assigned` may be unacknowledged (when its day has not come).
        ack = t.assigned + timedelta(days=days_to_ack) if final == State.ASSIGNED else \
            self._within(t.assigned, days_to_ack, horizon)
        end = horizon
        if final == State.WITHDRAWN:
            end = t.steps[State.WITHDRAWN] = self._within(t.assigned, rng.uniform(2, 20), horizon)
        elif final in DECIDED:
            decision = self._within(max(ack, t.assigned), rng.uniform(3, 40) * pace, horizon)
            ack = min(ack, t.assigned + (decision - t.assigned) * 0.5)
            end = decision
            t.steps[State.ADOPTED if State.ADOPTED in PATHS[final] else State.NOT_ADOPTED] = decision
            if State.IN_CONSULTATION in PATHS[final]:
                t.steps[State.IN_CONSULTATION] = ack + (decision - ack) * rng.uniform(0.2, 0.6)
        elif final == State.INFO_REQUESTED:
            ack = min(ack, t.assigned + (horizon - t.assigned) * 0.5)
            t.steps[State.INFO_REQUESTED] = self._within(ack, rng.uniform(1, 6), horizon)
        elif final == State.IN_CONSULTATION:
            ack = min(ack, t.assigned + (horizon - t.assigned) * 0.5)
            t.steps[State.IN_CONSULTATION] = self._within(ack, rng.uniform(1, 10) * pace, horizon)
        t.acknowledged = ack if ack < end else None
        for co_id in co_ids:
            co_ack = min(t.assigned + timedelta(days=rng.uniform(0.1, 5) * self.pace[co_id]),
                         t.assigned + (end - t.assigned) * 0.4)
            answers = final in DECIDED or (final != State.WITHDRAWN and rng.random() < 0.7)
            co_answer = co_ack + (end - co_ack) * rng.uniform(0.3, 0.9) if answers else None
            t.co[co_id] = (co_ack if co_ack < end else None, co_answer)
        if final in (State.IN_PROGRESS, State.COMPLETED, State.EVALUATED):
            decided_on = (end + timedelta(days=rng.uniform(14, 45))).astimezone(TOKYO).date()
            t.started_on = min(decided_on, self.today - timedelta(days=1))
            t.steps[State.IN_PROGRESS] = max(tokyo_at(t.started_on, 9), end + timedelta(minutes=5))
        if final in (State.COMPLETED, State.EVALUATED):
            ended = min(t.started_on + timedelta(days=365 * rng.choice([1, 2, 3]) - 1), self.today - timedelta(days=45))
            t.ended_on = max(ended, t.started_on + timedelta(days=60))
            t.steps[State.COMPLETED] = min(tokyo_at(t.ended_on, 17), horizon)
        if final == State.EVALUATED or (final == State.COMPLETED) or (
                final == State.IN_PROGRESS and rng.random() < 0.3):
            after = t.steps.get(State.COMPLETED) or t.steps[State.IN_PROGRESS]
            t.evaluated_at = self._within(after, rng.uniform(30, 90) if final == State.EVALUATED else
                                          rng.uniform(20, 120), horizon)
        return t

    def publication_moment(self, plan: Plan) -> datetime | None:
        """The window approves most outcomes for the catalogue, and some open proposals."""
        if not plan.proposal.consent_publish:
            return None
        likely = 0.9 if plan.final in DECIDED else 0.45
        if self.rng.random() >= likely:
            return None
        return self._within(plan.submitted_at, self.rng.uniform(3, 14), self.horizon)

    # --- the operations -------------------------------------------------------------------------
    def play(self, plan: Plan) -> None:
        proposal = plan.proposal
        with frozen_at(plan.submitted_at):
            proposal_ops.submit(proposal, Actor.of_user(plan.member))
        engine_lead, engine_co = proposed_routing(proposal)
        lead_id, co_ids, correction = self._desk_choice(plan, engine_lead, engine_co)
        t = self.timeline(plan, lead_id, co_ids)
        self._publication = (proposal, self.publication_moment(plan))
        if plan.final == State.MERGED:
            with self._at(t.steps[State.MERGED]):
                proposal_ops.merge(proposal, plan.merge_into, self.cast.window,
                                   "同じ地域で同様の取り組みを提案している団体があるため、統合して検討します。")
        if t.assigned is not None:
            self._assign(plan, t, lead_id, co_ids, correction)
            self._answer(plan, t, lead_id)
        self._publish_until(self.horizon)

    def _at(self, moment: datetime):
        """The clock at `moment`, once the window's approval due before it is given."""
        self._publish_until(moment)
        return frozen_at(moment)

    def _publish_until(self, moment: datetime) -> None:
        """The window approves publication at its moment, in the order of the history
        (an outcome that may not be published — withdrawn, declined, merged — reached
        before it means the window never approves it)."""
        proposal, at = self._publication
        if at is None or at > moment:
            return
        self._publication = (proposal, None)
        if proposal.state not in UNPUBLISHABLE_OUTCOMES:
            with frozen_at(at):
                set_publication(proposal, True, self.cast.window)

    def _desk_choice(self, plan: Plan, engine_lead: int | None, engine_co: list[int]):
        """The engine's lead when it is the department that owns the applicant's theme
        (the ward's office for a ward-level theme in one ward); otherwise the window
        corrects it to that department, with its reason — as staff do, and what the
        learned model trains on."""
        if not PATHS[plan.final] or plan.final == State.MERGED:
            return engine_lead, engine_co, None
        lead = self._usual_lead(plan)
        if lead == engine_lead:
            return engine_lead, engine_co, None
        name = self.cast.department(lead).name_ja
        reason = (f"区内の地域活動が中心のため、{name}を主担当にします。" if self._ward_level(plan)
                  else f"{name}の所管のため（窓口の判断）")
        return lead, [c for c in engine_co if c != lead], reason

    def _ward_level(self, plan: Plan) -> bool:
        return plan.scope == "ward" and bool(plan.wards) and self.themes[plan.themes[0]].ward_level

    def _usual_lead(self, plan: Plan) -> int:
        """The department that owns the primary theme (the window's own when none does)."""
        if self._ward_level(plan):
            return self.cast.departments[plan.wards[0]].id
        return self.themes[plan.themes[0]].owner_id or self.cast.departments["jichi"].id

    def _assign(self, plan: Plan, t: Timeline, lead_id: int, co_ids: list[int], correction: str | None) -> None:
        proposal = plan.proposal
        self.assigned += 1
        with self._at(t.assigned):
            if correction is None:
                confirm(proposal, self.cast.window, expected_version=None)
            else:
                self.corrections += 1
                change_routing(proposal, self.cast.window, lead_id, co_ids, correction, expected_version=None)
        for co_id, (ack, answer) in t.co.items():
            co = self._assignment(proposal.id, co_id, AssignmentRole.CO)
            if co is None:
                continue
            if ack is not None:
                with self._at(ack):
                    acknowledge(co, self.cast.actor_of(co_id))
            if answer is not None:
                with self._at(answer):
                    co_opinion(co, self.cast.actor_of(co_id), "関係部署として協力できる内容を回答しました。")

    @staticmethod
    def _assignment(proposal_id: int, department_id: int, role: AssignmentRole) -> Assignment | None:
        return db.session.scalar(sa.select(Assignment).where(
            Assignment.proposal_id == proposal_id, Assignment.department_id == department_id,
            Assignment.role == role, Assignment.status == AssignmentStatus.ACTIVE))

    def _answer(self, plan: Plan, t: Timeline, lead_id: int) -> None:
        proposal, rng = plan.proposal, self.rng
        lead = self._assignment(proposal.id, lead_id, AssignmentRole.LEAD)
        staff = self.cast.actor_of(lead_id)
        if t.acknowledged is not None:
            with self._at(t.acknowledged):
                acknowledge(lead, staff)
        for step in PATHS[plan.final][1:]:
            if step == State.EVALUATED:
                break  # the final evaluation moves it there, below
            with self._at(t.steps[step]):
                if step == State.INFO_REQUESTED:
                    request_information(lead, staff, rng.choice(INFO_QUESTIONS))
                elif step == State.IN_CONSULTATION:
                    propose_meeting(lead, staff, rng.choice(MEETING_OPTIONS), "進め方を一度ご相談させてください。")
                elif step == State.ADOPTED:
                    adopt(lead, staff, rng.choice(ADOPTED_REASONS),
                          NextSteps(budget_year=t.steps[step].astimezone(TOKYO).year + 1, agreement=rng.random() < 0.5))
                elif step == State.NOT_ADOPTED:
                    not_adopt(lead, staff, "類似事業・予算の状況を踏まえた判断（内部メモ）", rng.choice(NOT_ADOPTED_REASONS))
                elif step == State.WITHDRAWN:
                    withdraw(proposal, plan.member, rng.choice([None, "別の助成制度で実施することになりました。"]),
                             expected_version=None)
                elif step in (State.IN_PROGRESS, State.COMPLETED):
                    proposal_ops.transition(proposal, step, staff)
            if step == State.IN_PROGRESS and t.evaluated_at is not None and plan.final == State.IN_PROGRESS:
                self._evaluate(plan, t, staff)
        if plan.final in (State.COMPLETED, State.EVALUATED):
            self._evaluate(plan, t, staff)

    def _evaluate(self, plan: Plan, t: Timeline, staff: Actor) -> None:
        """The lead's evaluation (public.operations.record_evaluation); for an evaluated
        proposal it is the final one, which moves the proposal to `evaluated`."""
        rng = self.rng
        evaluated = plan.final == State.EVALUATED
        _, names = THEME_TEXT.get(plan.themes[0], THEME_TEXT["other"])
        indicators = []
        for name in names:
            target = rng.randint(5, 50) * 10
            indicators.append({"name": name, "target": f"{target}", "actual": f"{int(target * rng.uniform(0.6, 1.4))}"})
        reviewed_on = t.evaluated_at.astimezone(TOKYO).date() if evaluated else None
        with self._at(t.evaluated_at):
            record_evaluation(
                plan.proposal, staff, implementation_start=t.started_on, implementation_end=t.ended_on,
                indicators=indicators,
                exit_reached=rng.choice([ExitReached.REACHED, ExitReached.NOT_REACHED]) if evaluated
                else ExitReached.UNDECIDED,
                exit_note="参加費と企業協賛で運営できる体制が整いました。" if evaluated else "",
                review_decision=rng.choice(list(ReviewDecision)) if evaluated else None,
                reviewed_on=reviewed_on, summary=rng.choice(EVALUATION_SUMMARIES), finalise=evaluated,
            )

