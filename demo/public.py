"""Demo data for the public pages: a few hundred proposals over three fiscal
years, across every ward, theme and organisation kind, in every state.

Text is put together from Japanese fragments with a fixed random seed, so
every run produces the same data. Called from demo.seed_demo (window/seed.py); it is
idempotent (a marker event says the set is loaded) and fast.

Choice: the history of these proposals lies in the past (submitted up to
three fiscal years ago), which proposals.operations cannot write — it
stamps every change with the current time. So this module writes the
historical rows directly, in bulk, but keeps each proposal consistent: its
state is the end of a path of moves that all exist in the lifecycle table
(proposals.lifecycle.TRANSITIONS), each move has its `state_changed` event
with the right actor, time, public flag and comment, assignments carry
assigned / acknowledged / answered times that agree with those events, and
publication approvals and evaluations have their audit events.

Routing is the engine's, as at submission: each proposal is evaluated by the
published ruleset (its decision stored, a `routed` record), and at
assignment the window either confirms the engine's lead or corrects it to
the department that owns the applicant's theme (an override with a reason),
as staff do. Those confirmations and overrides are what the learned model
trains on: a model version is trained at the end, so the why-here panel,
the backtest and the model show something on `make run`.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from core.auth import hash_password
from core.calendar import TOKYO, BusinessCalendar, fiscal_year_of, local_today
from core.extensions import db
from core.models import (
    ActorKind,
    Department,
    Event,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    Theme,
    User,
)
from demo.accounts import DEMO_PASSWORD
from demo.fragments import (
    ACTIVITIES,
    ADOPTED_REASONS,
    EVALUATION_SUMMARIES,
    GIVEN,
    NOT_ADOPTED_REASONS,
    ORG_PATTERNS,
    ORG_WORDS,
    PARTNER_CHOICES,
    SUPPORT_CHOICES,
    SURNAMES,
    THEME_TEXT,
    WARDS,
)
from demo.partners import seed_partner_interests
from proposals.lifecycle import find_transition
from proposals.models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Proposal,
    ProposalTheme,
    ProposalWard,
    ReferenceCounter,
    State,
)
from proposals.visibility import CURRENT_CONSENT_VERSION
from public.models import Evaluation, ExitReached, ReviewDecision
from routing.engine import evaluate
from routing.models import DecisionKind, RoutingRecord
from routing.store import get_version, proposal_input, ruleset_data

MARKER_KIND = "demo_public_loaded"
SEED = 20260401
PROPOSALS = 330

def seed_public_demo() -> int:
    """Load the demo set once; returns the number of proposals added."""
    if db.session.scalar(sa.select(Event.id).where(Event.kind == MARKER_KIND).limit(1)) is not None:
        return 0
    builder = _Builder(random.Random(SEED))
    count = builder.run()
    seed_partner_interests(builder)
    _train_routing_model()
    db.session.add(Event(kind=MARKER_KIND, actor_kind=ActorKind.SYSTEM, actor_label="seed",
                         data={"proposals": count, "seed": SEED}))
    db.session.flush()
    return count


def _train_routing_model() -> None:
    """A first model version from the demo's confirmations and overrides."""
    from core.audit import Actor
    from routing.learning import NotEnoughExamples, train_version

    try:
        train_version(Actor.system("demo"), note="demo history")
    except NotEnoughExamples:
        pass


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment on a Tokyo calendar day, in UTC."""
    return datetime.combine(day, time(hour, minute), TOKYO).astimezone(UTC)


class _Builder:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.calendar = BusinessCalendar()
        self.today = local_today()
        self.now = datetime.now(UTC)
        self.current_fy = fiscal_year_of(self.today)
        self.departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
        self.themes = {t.code: t for t in db.session.scalars(sa.select(Theme).order_by(Theme.position))}
        self.window_user = self._staff("window@city.example.jp", "jichi")
        self.staff: dict[int, User] = {}
        self.events: list[dict] = []
        self.password_hash: str | None = None
        # Each department answers at its own pace (days): stats are not all alike.
        self.pace = {code: rng.uniform(0.6, 1.8) for code in self.departments}
        published = get_version("published")
        self.ruleset = ruleset_data(published, with_model=False) if published is not None else None
        self.routed: dict[int, RoutingRecord] = {}

    # --- people and organisations ----------------------------------------------------------
    def _hash(self) -> str:
        if self.password_hash is None:
            self.password_hash = hash_password(DEMO_PASSWORD)
        return self.password_hash

    def _staff(self, email: str, dept_code: str, role: Role = Role.WINDOW) -> User:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name="窓口 担当", role=role, department=self.departments[dept_code],
                        password_hash=self._hash())
            db.session.add(user)
            db.session.flush()
        return user

    def department_user(self, department: Department) -> User:
        if department.id not in self.staff:
            user = db.session.scalar(
                sa.select(User).where(User.department_id == department.id, User.role != Role.APPLICANT)
                .order_by(User.id).limit(1)
            )
            if user is None:
                user = User(email=f"{department.code}@city.example.jp", name=department.name_ja + " 担当",
                            role=Role.DEPARTMENT_STAFF, department=department, password_hash=self._hash())
                db.session.add(user)
                db.session.flush()
            self.staff[department.id] = user
        return self.staff[department.id]

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + " " + self.rng.choice(GIVEN)

    def organisations(self) -> list[tuple[Organisation, str, User]]:
        rng = self.rng
        result = []
        ward_codes = list(WARDS)
        n = 0
        for kind in OrganisationKind:
            for i in range(7):
                n += 1
                ward_code = ward_codes[(i + n) % len(ward_codes)]
                ward_name, towns = WARDS[ward_code]
                town = rng.choice(towns)
                pattern = rng.choice(ORG_PATTERNS[kind])
                name = pattern.format(area=rng.choice(["かわさき", ward_name[:-1], town, ""]), word=rng.choice(ORG_WORDS),
                                      town=town, ward=ward_name)
                if any(o.name == name for o, _, _ in result):
                    name = f"{name}（{town}）"
                email = f"demo-org-{n:03d}@example.org"
                user = db.session.scalar(sa.select(User).where(User.email == email))
                if user is None:
                    user = User(email=email, name=self.person(), role=Role.APPLICANT)
                    db.session.add(user)
                organisation = Organisation(
                    name=name, kind=kind, city=f"川崎市{ward_name}", representative=self.person(),
                    postal_code=f"21{rng.randint(0, 9)}-{rng.randint(0, 9999):04d}",
                    address=f"川崎市{ward_name}{town}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}",
                    phone=f"044-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
                    founded_year=rng.randint(1965, 2023), member_count=rng.randint(5, 300),
                )
                organisation.memberships.append(Membership(user=user))
                db.session.add(organisation)
                result.append((organisation, ward_code, user))
        db.session.flush()
        return result

    # --- the proposals -----------------------------------------------------------------------
    def final_state(self, submitted: date) -> State:
        """Older proposals have reached an outcome; recent ones are still open."""
        age = (self.today - submitted).days
        r = self.rng.random()
        if age < 12:
            return self.rng.choice([State.SUBMITTED, State.TRIAGE, State.TRIAGE, State.ASSIGNED])
        if age < 90:
            return self.rng.choices(
                [State.TRIAGE, State.ASSIGNED, State.INFO_REQUESTED, State.IN_CONSULTATION, State.ADOPTED,
                 State.NOT_ADOPTED, State.WITHDRAWN, State.MERGED],
                [1, 3, 2, 4, 2, 2, 1, 0.5])[0]
        if age < 400:
            return self.rng.choices(
                [State.IN_CONSULTATION, State.ADOPTED, State.IN_PROGRESS, State.NOT_ADOPTED, State.WITHDRAWN,
                 State.MERGED],
                [1, 2, 5, 4, 1, 0.6])[0]
        if r < 0.04:
            return State.MERGED
        return self.rng.choices(
            [State.IN_PROGRESS, State.COMPLETED, State.EVALUATED, State.NOT_ADOPTED, State.WITHDRAWN],
            [2, 3, 4, 5, 1])[0]

    @staticmethod
    def path(final: State) -> list[State]:
        S = State
        head = [S.SUBMITTED, S.TRIAGE]
        paths = {
            S.SUBMITTED: [S.SUBMITTED],
            S.TRIAGE: head,
            S.ASSIGNED: [*head, S.ASSIGNED],
            S.INFO_REQUESTED: [*head, S.ASSIGNED, S.INFO_REQUESTED],
            S.IN_CONSULTATION: [*head, S.ASSIGNED, S.IN_CONSULTATION],
            S.ADOPTED: [*head, S.ASSIGNED, S.IN_CONSULTATION, S.ADOPTED],
            S.NOT_ADOPTED: [*head, S.ASSIGNED, S.NOT_ADOPTED],
            S.IN_PROGRESS: [*head, S.ASSIGNED, S.IN_CONSULTATION, S.ADOPTED, S.IN_PROGRESS],
            S.COMPLETED: [*head, S.ASSIGNED, S.IN_CONSULTATION, S.ADOPTED, S.IN_PROGRESS, S.COMPLETED],
            S.EVALUATED: [*head, S.ASSIGNED, S.IN_CONSULTATION, S.ADOPTED, S.IN_PROGRESS, S.COMPLETED, S.EVALUATED],
            S.WITHDRAWN: [*head, S.ASSIGNED, S.WITHDRAWN],
            S.MERGED: [*head, S.MERGED],
        }
        return paths[final]

    def submission_days(self) -> list[date]:
        """PROPOSALS days spread over the last three fiscal years, up to today."""
        start = date(self.current_fy - 2, 4, 1)
        span = (self.today - start).days - 2  # up to the day before yesterday
        days = sorted(start + timedelta(days=self.rng.randint(0, span)) for _ in range(PROPOSALS))
        return days

    def text(self, theme_code: str, ward_code: str | None, kind: OrganisationKind) -> dict:
        rng = self.rng
        subjects, _ = THEME_TEXT.get(theme_code, THEME_TEXT["other"])
        subject = rng.choice(subjects)
        place = WARDS[ward_code][0] if ward_code else "市内"
        town = rng.choice(WARDS[ward_code][1]) if ward_code else rng.choice(["各区", "駅周辺", "市内全域"])
        title = f"{place}{'・' + town if ward_code and rng.random() < 0.4 else ''}の{subject}{rng.choice(ACTIVITIES)}"
        where = f"{town}を中心に" if ward_code else "市内の各地で"
        summary = (f"{where}、{subject}に取り組みます。地域の住民や関係団体と協力し、"
                   f"{rng.choice(['月2回', '毎週', '年4回', '毎月'])}の活動を通じて、"
                   f"{rng.choice(['身近な場所での参加の機会', '世代をこえたつながり', '困りごとの早期発見', '新しい担い手'])}をつくります。")
        issue = (f"{place}では{rng.choice(['高齢化が進み', '子育て世帯が増え', '外国人住民が増え', '空き店舗が増え'])}、"
                 f"{subject}への関心が高まっていますが、{rng.choice(['情報が届いていない', '担い手が不足している', '活動の場所が足りない', '関係者の連携が弱い'])}のが現状です。")
        activities = (f"1. {subject}の準備会を開き、参加者を募ります。\n"
                      f"2. {town}の{rng.choice(['市民館', 'こども文化センター', '町内会館', '商店街の空き店舗', '公園'])}で定期的に活動します。\n"
                      f"3. 活動の記録を公開し、ほかの地域にも広げます。")
        outcomes = f"参加者数とアンケートの満足度で成果を測ります。初年度は延べ{rng.randint(5, 60) * 10}人の参加を目指します。"
        return {"title": title[:200], "summary": summary[:400], "issue": issue, "activities": activities,
                "outcomes": outcomes}

    def lead_for(self, theme: Theme, scope: str, ward_code: str | None) -> Department:
        if scope == "ward" and ward_code and theme.ward_level:
            return self.departments[ward_code]
        if theme.owner_id is not None:
            return next(d for d in self.departments.values() if d.id == theme.owner_id)
        return self.departments["jichi"]

    def event(self, proposal: Proposal, at: datetime, kind: str, actor: User | None, *, public: bool = False,
              from_state: State | None = None, to_state: State | None = None, comment: str | None = None,
              department_id: int | None = None, data: dict | None = None, label: str | None = None) -> None:
        self.events.append({
            "proposal_id": proposal.id, "created_at": at, "kind": kind,
            "actor_kind": ActorKind.USER if actor is not None else ActorKind.SYSTEM,
            "actor_user_id": actor.id if actor is not None else None,
            "actor_label": actor.email if actor is not None else (label or "routing"),
            "department_id": department_id, "from_state": str(from_state) if from_state else None,
            "to_state": str(to_state) if to_state else None, "public": public, "comment": comment,
            "data": data or {},
        })

    def business_day_after(self, day: date, days: float) -> datetime:
        target = self.calendar.add_business_days(day, max(0, int(days)))
        return _at(target, self.rng.randint(9, 17), self.rng.randint(0, 59))

    def run(self) -> int:
        rng = self.rng
        organisations = self.organisations()
        self.members = organisations
        theme_codes = list(self.themes)
        ward_codes = list(WARDS)
        days = self.submission_days()
        counters = {c.fiscal_year: c for c in db.session.scalars(sa.select(ReferenceCounter))}
        prefix = current_app.config["REFERENCE_PREFIX"]
        plans = []
        by_theme_first: dict[str, Proposal] = {}
        for n, day in enumerate(days):
            organisation, home_ward, member = organisations[n % len(organisations)]
            primary = theme_codes[n % len(theme_codes)]
            extra = rng.sample(theme_codes, rng.choice([0, 0, 1, 2]))
            chosen = [primary] + [c for c in extra if c != primary][:2]
            scope = rng.choices(["ward", "multi_ward", "citywide"], [65, 15, 20])[0]
            if scope == "ward":
                wards = [ward_codes[(n // 3) % len(ward_codes)] if rng.random() < 0.5 else home_ward]
            elif scope == "multi_ward":
                wards = sorted(set(rng.sample(ward_codes, 2)))
            else:
                wards = []
            text = self.text(primary, wards[0] if wards else None, organisation.kind)
            final = self.final_state(day) if n % 40 else State.DRAFT
            if n == len(days) - 1:
                final = State.SUBMITTED  # the newest one has just arrived
            fy = fiscal_year_of(day)
            proposal = Proposal(
                organisation=organisation, created_by=member, scope=scope, stage=rng.choice(["seed", "established"]),
                support_requested=rng.sample(SUPPORT_CHOICES, rng.randint(1, 3)),
                partners_wanted=rng.sample(PARTNER_CHOICES, rng.choice([0, 1, 1, 2, 3])),
                budget_total_yen=rng.randint(2, 80) * 50_000, exit_strategy=rng.choice(
                    ["policy", "business", "business", "national", "time_limited", "undecided"]),
                exit_note=rng.choice(["2年目以降は参加費と協賛金で自走します。", "区の事業として制度化を目指します。",
                                      "3年間の期間限定で実施し、成果を報告します。", "国の補助制度の活用を検討します。"]),
                period_start=date(fy + 1, 4, 1), period_end=date(fy + 2 + rng.choice([0, 1, 2]), 3, 31),
                contact_name=member.name, contact_email=member.email,
                contact_phone=f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                consent_privacy=True, consent_publish=rng.random() < 0.8, **text,
            )
            proposal.consent_version = CURRENT_CONSENT_VERSION if proposal.consent_publish else None
            proposal.budget_requested_yen = proposal.budget_total_yen // rng.choice([2, 3, 4])
            proposal.theme_links = [ProposalTheme(theme=self.themes[c], position=i) for i, c in enumerate(chosen)]
            proposal.ward_links = [ProposalWard(ward=self.departments[c]) for c in wards]
            proposal.created_at = _at(day - timedelta(days=rng.randint(0, 10)), 10)
            if final != State.DRAFT:
                counter = counters.get(fy)
                if counter is None:
                    counter = counters[fy] = ReferenceCounter(fiscal_year=fy, last_value=0)
                    db.session.add(counter)
                counter.last_value += 1
                proposal.reference = f"{prefix}-{fy}-{counter.last_value:06d}"
                proposal.fiscal_year = fy
                proposal.submitted_at = _at(day, rng.randint(8, 22), rng.randint(0, 59))
            if final == State.MERGED:
                target = by_theme_first.get(primary)
                if target is None:
                    final = State.WITHDRAWN
                else:
                    proposal.merged_into_id = target.id  # set after the target has an id (below)
                    proposal._merge_target = target
            db.session.add(proposal)
            plans.append((proposal, final, chosen, scope, wards, member))
            if final not in (State.DRAFT, State.MERGED) and primary not in by_theme_first:
                by_theme_first[primary] = proposal
                db.session.flush()
        db.session.flush()
        for proposal, final, chosen, scope, wards, member in plans:
            if final == State.MERGED:
                proposal.merged_into_id = proposal._merge_target.id
            if final != State.DRAFT:
                self.history(proposal, final, chosen, scope, wards, member)
        db.session.flush()
        db.session.execute(sa.insert(Event), self.events)
        db.session.flush()
        return len(plans)

    def history(self, proposal: Proposal, final: State, chosen, scope, wards, member) -> None:
        rng = self.rng
        theme = self.themes[chosen[0]]
        lead = self.lead_for(theme, scope, wards[0] if wards else None)
        lead_user = self.department_user(lead)
        pace = self.pace[lead.code]
        submitted = proposal.submitted_at
        moment = last = submitted - timedelta(minutes=1)
        previous = State.DRAFT
        path = self.path(final)
        lead_assignment = None
        decision_at = None
        horizon = self.now - timedelta(hours=2)
        self.route(proposal, submitted)
        for step in path:
            if step == State.SUBMITTED:
                moment, actor, comment = submitted, member, None
                data = {"reference": proposal.reference}
            elif step == State.TRIAGE:
                moment, actor, comment, data = submitted + timedelta(minutes=1), None, None, {}
            elif step == State.ASSIGNED:
                moment = max(self.business_day_after(submitted.astimezone(TOKYO).date(), rng.uniform(0.5, 4)),
                             submitted + timedelta(hours=rng.uniform(1, 30)))
                moment = min(moment, horizon - timedelta(hours=1))
                actor, comment = self.window_user, None
                co = self._co_department(chosen, lead)
                data = {"lead": lead.id, "co": [co.id] if co else []}
                self.window_decides(proposal, lead, co, moment)
                lead_assignment = self._assign(proposal, lead, AssignmentRole.LEAD, moment, pace, final)
                if co is not None:
                    self._assign(proposal, co, AssignmentRole.CO, moment, self.pace[co.code], final)
                proposal.lead_department_id = lead.id
                proposal.needs_triage = False
                proposal.triage_confirmed_at = moment
            elif step == State.INFO_REQUESTED:
                moment = (lead_assignment.acknowledged_at or moment) + timedelta(days=rng.uniform(1, 6))
                actor, data = lead_user, {}
                comment = "活動の実施体制と、協力予定の団体について詳しく教えてください。"
                proposal.resume_state = previous
            elif step == State.IN_CONSULTATION:
                ack = lead_assignment.acknowledged_at or moment
                if lead_assignment.answered_at is not None:  # between acknowledgement and answer
                    moment = ack + (lead_assignment.answered_at - ack) * rng.uniform(0.2, 0.6)
                else:
                    moment = ack + timedelta(days=rng.uniform(1, 10) * pace)
                actor, comment, data = lead_user, None, {}
            elif step in (State.ADOPTED, State.NOT_ADOPTED):
                moment = lead_assignment.answered_at
                actor, data = lead_user, {}
                comment = rng.choice(ADOPTED_REASONS if step == State.ADOPTED else NOT_ADOPTED_REASONS)
                proposal.decided_at, proposal.decision_reason = moment, comment
                decision_at = moment
            elif step == State.IN_PROGRESS:
                # Work starts some weeks after the decision; the planned period follows the real start.
                start = (decision_at + timedelta(days=rng.uniform(14, 45))).astimezone(TOKYO).date()
                start = min(start, self.today - timedelta(days=1))
                proposal.period_start = start
                if final in (State.COMPLETED, State.EVALUATED):
                    end = min(start + timedelta(days=365 * rng.choice([1, 2, 3]) - 1), self.today - timedelta(days=45))
                    proposal.period_end = max(end, start + timedelta(days=60))
                elif proposal.period_end is None or proposal.period_end <= start:
                    proposal.period_end = start + timedelta(days=364)
                moment, actor, comment, data = _at(start, 9), lead_user, None, {}
            elif step == State.COMPLETED:
                moment, actor, comment, data = _at(proposal.period_end, 17), lead_user, None, {}
            elif step == State.EVALUATED:
                moment = _at(proposal.period_end + timedelta(days=rng.randint(30, 90)), 15)
                actor, data = lead_user, {}
                comment = "評価を確定しました。"
            elif step == State.WITHDRAWN:
                moment = moment + timedelta(days=rng.uniform(2, 20))
                actor, comment, data = member, None, {}
                for assignment in proposal.assignments:  # nobody acknowledges after the withdrawal
                    if assignment.acknowledged_at and assignment.acknowledged_at > moment:
                        assignment.acknowledged_at = None
                    assignment.answered_at = None
            elif step == State.MERGED:
                moment = moment + timedelta(days=rng.uniform(1, 5))
                actor, data = self.window_user, {"merged_into": proposal._merge_target.reference}
                comment = "同じ地域で同様の取り組みを提案している団体があるため、統合して検討します。"
            # Each move after the one before, never in the future.
            moment = min(max(moment, last + timedelta(minutes=1)), max(horizon, last + timedelta(seconds=1)))
            if step in (State.ADOPTED, State.NOT_ADOPTED):
                lead_assignment.answered_at = proposal.decided_at = decision_at = moment
                if lead_assignment.status == AssignmentStatus.CLOSED:
                    lead_assignment.closed_at = moment
            if step == State.IN_PROGRESS and moment.astimezone(TOKYO).date() > proposal.period_start:
                proposal.period_start = moment.astimezone(TOKYO).date()
                proposal.period_end = max(proposal.period_end, proposal.period_start + timedelta(days=60))
            last = moment
            move = find_transition(previous, step)
            assert move is not None, (previous, step)
            self.event(proposal, moment, "state_changed", actor, public=move.public, from_state=previous,
                       to_state=step, comment=comment, data=data, label="intake" if step == State.TRIAGE else None)
            previous = step
        for assignment in proposal.assignments:
            if assignment.acknowledged_at:
                self.event(proposal, assignment.acknowledged_at, "assignment_acknowledged",
                           self.department_user(assignment.department), public=True,
                           department_id=assignment.department_id, data={"role": assignment.role.value})
            if assignment.answered_at and assignment.role == AssignmentRole.CO:
                self.event(proposal, assignment.answered_at, "co_opinion", self.department_user(assignment.department),
                           department_id=assignment.department_id, comment="関係部署として協力できる内容を回答しました。")
        if final in (State.WITHDRAWN, State.NOT_ADOPTED, State.MERGED):
            for assignment in proposal.assignments:
                assignment.status = AssignmentStatus.CLOSED
                assignment.closed_at = proposal.decided_at or moment
        proposal.state = final
        proposal.lock_version = len(path) + 1
        proposal.updated_at = moment
        self._publication(proposal, final, moment)
        self._evaluation(proposal, final, chosen, lead_user)

    # --- routing: the engine's decision, then the window's confirmation or correction -------------
    def route(self, proposal: Proposal, submitted: datetime) -> None:
        if self.ruleset is None:
            return
        decision = evaluate(proposal_input(proposal), self.ruleset)
        lead = self.departments.get(decision.lead)
        proposal.routing_decision = decision.to_json()
        proposal.ruleset_version = self.ruleset.version
        proposal.needs_triage = decision.needs_triage
        proposal.lead_department_id = lead.id if lead else None
        lead_rule = decision.lead_rule or {}
        record = RoutingRecord(
            proposal_id=proposal.id, kind=DecisionKind.ROUTED, ruleset_version=self.ruleset.version,
            lead_id=lead.id if lead else None, co_codes=decision.co, primary_theme=decision.primary_theme,
            confidence=decision.confidence, needs_triage=decision.needs_triage, lead_rule_id=lead_rule.get("id"),
            lead_rule_key=lead_rule.get("key"), created_at=submitted + timedelta(minutes=1))
        db.session.add(record)
        self.routed[proposal.id] = record

    def window_decides(self, proposal: Proposal, lead: Department, co: Department | None, at: datetime) -> None:
        """Staff confirm the engine's lead, or correct it to the theme's owner (with a reason)."""
        routed = self.routed.get(proposal.id)
        if routed is None:
            return
        confirmed = routed.lead_id == lead.id
        db.session.add(RoutingRecord(
            proposal_id=proposal.id, kind=DecisionKind.CONFIRMED if confirmed else DecisionKind.OVERRIDDEN,
            ruleset_version=routed.ruleset_version, lead_id=lead.id, co_codes=[co.code] if co else [],
            primary_theme=routed.primary_theme, user_id=self.window_user.id, created_at=at,
            lead_rule_id=routed.lead_rule_id if confirmed else None,
            lead_rule_key=routed.lead_rule_key if confirmed else None,
            reason=None if confirmed else f"{lead.name_ja}の所管のため（窓口の判断）"))

    def _co_department(self, chosen, lead: Department) -> Department | None:
        for code in chosen[1:]:
            owner_id = self.themes[code].owner_id
            if owner_id and owner_id != lead.id:
                return next(d for d in self.departments.values() if d.id == owner_id)
        return None

    def _assign(self, proposal: Proposal, department: Department, role: AssignmentRole, at: datetime, pace: float,
                final: State) -> Assignment:
        rng = self.rng
        day = at.astimezone(TOKYO).date()
        assignment = Assignment(
            department=department, role=role, assigned_at=at, assigned_by_id=self.window_user.id,
            ack_due_on=self.calendar.add_business_days(day, 5),
            answer_due_on=self.calendar.add_business_days(day, 20),
        )
        horizon = self.now - timedelta(hours=3)
        decided = final in (State.ADOPTED, State.NOT_ADOPTED, State.IN_PROGRESS, State.COMPLETED, State.EVALUATED)
        ack = at + timedelta(days=rng.uniform(0.1, 5) * pace)
        if ack < horizon or decided:
            assignment.acknowledged_at = min(ack, horizon - timedelta(hours=1))
        if assignment.acknowledged_at and (decided or (role == AssignmentRole.CO and rng.random() < 0.7)):
            answered = ack + timedelta(days=rng.uniform(3, 40) * pace)
            assignment.answered_at = min(answered, horizon)
        if decided:
            assignment.status, assignment.closed_at = AssignmentStatus.CLOSED, assignment.answered_at
        proposal.assignments.append(assignment)
        return assignment

    def _publication(self, proposal: Proposal, final: State, last: datetime) -> None:
        if not proposal.consent_publish:
            return
        likely = 0.9 if final in (State.ADOPTED, State.IN_PROGRESS, State.COMPLETED, State.EVALUATED,
                                  State.NOT_ADOPTED) else 0.45
        if self.rng.random() >= likely:
            return
        proposal.publication_approved = True
        at = min(proposal.submitted_at + timedelta(days=self.rng.uniform(3, 14)), self.now - timedelta(hours=1))
        self.event(proposal, at, "publication_approved", self.window_user, public=True)

    def _evaluation(self, proposal: Proposal, final: State, chosen, lead_user: User) -> None:
        rng = self.rng
        if final not in (State.COMPLETED, State.EVALUATED) and not (final == State.IN_PROGRESS and rng.random() < 0.3):
            return
        _, indicator_names = THEME_TEXT.get(chosen[0], THEME_TEXT["other"])
        indicators = []
        for name in indicator_names:
            target = rng.randint(5, 50) * 10
            indicators.append({"name": name, "target": f"{target}", "actual": f"{int(target * rng.uniform(0.6, 1.4))}"})
        evaluated = final == State.EVALUATED
        reviewed_on = proposal.period_end + timedelta(days=rng.randint(20, 80)) if evaluated else None
        if reviewed_on and reviewed_on > self.today:
            reviewed_on = self.today
        evaluation = Evaluation(
            proposal_id=proposal.id,
            implementation_start=proposal.period_start,
            implementation_end=proposal.period_end if final != State.IN_PROGRESS else None,
            indicators=indicators,
            exit_reached=rng.choice([ExitReached.REACHED, ExitReached.NOT_REACHED]) if evaluated
            else ExitReached.UNDECIDED,
            exit_note="参加費と企業協賛で運営できる体制が整いました。" if evaluated else "",
            review_decision=rng.choice(list(ReviewDecision)) if evaluated else None,
            reviewed_on=reviewed_on,
            summary=rng.choice(EVALUATION_SUMMARIES),
            department_id=lead_user.department_id,
            updated_by_id=lead_user.id,
        )
        at = _at(reviewed_on or min(self.today, proposal.period_start + timedelta(days=120)), 14)
        at = min(at, self.now - timedelta(minutes=30))
        evaluation.created_at = evaluation.updated_at = at
        db.session.add(evaluation)
        self.event(proposal, at, "evaluation_recorded", lead_user, department_id=lead_user.department_id,
                   data={"demo": True})
