"""Demo data for the public pages: a few hundred proposals over three fiscal
years, across every ward, theme and organisation kind, in every state.

Text is put together from Japanese fragments with a fixed random seed, so
every run produces the same data. Called from demo.seed.seed_demo (window/seed.py);
it is idempotent (a marker event says the set is loaded).

The history of these proposals lies in the past; it is played through the
rooms' real operations (submission and routing, the triage desk, the
departments' answers, publication, evaluation, partner interests) with the
kernel's clock (core/clock.py) set to each moment, so every row carries the
time it would have had. Nobody is emailed about it (core.outbox.quiet).

Routing is the engine's, as at submission (routing.operations.route writes
the `routed` record); at the triage desk the window confirms the engine's
lead, or corrects it to the department that owns the applicant's theme (an
override with a reason), as staff do. Those confirmations and overrides are
what the learned model trains on: a model version is trained at the end, so
the why-here panel, the backtest and the model show something on `make run`.

- demo/public_people.py: the organisations and the staff who act;
- demo/public_plans.py: each proposal's draft, submission day and final state;
- demo/public_history.py: one proposal's moments and the operations at each;
- demo/partners.py: expressions of interest between organisations.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from core.audit import Actor, record_event
from core.calendar import BusinessCalendar, fiscal_year_of, local_today
from core.clock import frozen_at, now
from core.extensions import db
from core.models import Event, Theme
from core.outbox import quiet
from demo.partners import seed_partner_interests
from demo.public_history import History
from demo.public_people import Cast
from demo.public_plans import Plan, choose, draft, submission_days, tokyo_at
from proposals.models import State
from routing.store import held_rulesets

MARKER_KIND = "demo_public_loaded"
SEED = 20260401


def seed_public_demo() -> int:
    """Load the demo set once; returns the number of proposals added."""
    if db.session.scalar(sa.select(Event.id).where(Event.kind == MARKER_KIND).limit(1)) is not None:
        return 0
    rng = random.Random(SEED)
    today, moment = local_today(), now()
    calendar = BusinessCalendar()
    with quiet(), held_rulesets():
        with frozen_at(tokyo_at(date(fiscal_year_of(today) - 2, 3, 1), 9)):
            cast = Cast(rng)
            cast.organisations()
        plans = _plans(rng, cast, calendar, today)
        history = History(cast, rng, calendar, moment, today)
        for plan in plans:
            if plan.final != State.DRAFT:
                history.play(plan)
        seed_partner_interests(cast, rng, moment)
    _train_routing_model()
    record_event(Actor.system("seed"), MARKER_KIND, data={
        "proposals": len(plans), "seed": SEED, "assigned_by_the_desk": history.assigned,
        "engine_lead_corrected": history.corrections})
    db.session.flush()
    return len(plans)


def _train_routing_model() -> None:
    """A first model version from the demo's confirmations and overrides."""
    from routing.learning import NotEnoughExamples, train_version

    try:
        train_version(Actor.system("demo"), note="demo history")
    except NotEnoughExamples:
        pass


def _plans(rng: random.Random, cast: Cast, calendar: BusinessCalendar, today: date) -> list[Plan]:
    """The drafts, each written (created_at) some days before its submission."""
    themes = {t.code: t for t in db.session.scalars(sa.select(Theme).order_by(Theme.position))}
    theme_codes = list(themes)
    days = submission_days(rng, today)
    first_of_theme: dict[str, Plan] = {}
    plans = []
    for n, day in enumerate(days):
        choice = choose(rng, n, day, today, calendar, cast.members, theme_codes, last=n == len(days) - 1)
        with frozen_at(tokyo_at(day - timedelta(days=rng.randint(1, 10)), 10)):
            proposal = draft(rng, choice["organisation"], choice["member"], themes, cast.departments,
                             choice["chosen"], choice["scope"], choice["wards"], fiscal_year_of(day))
            db.session.add(proposal)
            db.session.flush()
        final = choice["final"]
        submitted_at = tokyo_at(day, rng.randint(8, 22), rng.randint(0, 59)) if final != State.DRAFT else None
        plan = Plan(proposal, final, choice["chosen"], choice["scope"], choice["wards"], choice["member"],
                    submitted_at)
        primary = choice["chosen"][0]
        if final == State.MERGED:
            target = first_of_theme.get(primary)
            if target is None or target.final in (State.DRAFT, State.MERGED):
                plan.final = State.WITHDRAWN
            else:
                plan.merge_into = target.proposal
        if plan.final not in (State.DRAFT, State.MERGED):
            first_of_theme.setdefault(primary, plan)
        plans.append(plan)
    return plans
