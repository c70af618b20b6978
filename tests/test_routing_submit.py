"""Routing connected to the lifecycle: submission routes the proposal with
the published ruleset, auto-routing above a threshold, misroutes charged."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import department_id

from core.audit import Actor
from core.extensions import db
from core.models import ActorKind, Event
from proposals import operations
from proposals.models import Assignment, AssignmentStatus, Proposal, State
from routing.models import Misroute, RoutingRecord
from routing.operations import misroute_counts
from routing.seed import seed_routing


@pytest.fixture
def seeded():
    seed_routing()
    db.session.commit()


def _events(proposal):
    return db.session.scalars(sa.select(Event).where(Event.proposal_id == proposal.id).order_by(Event.id)).all()


def test_submission_routes_with_the_published_ruleset_then_triage(seeded, make_proposal):
    proposal = make_proposal()  # 宮前区の高齢者サロン, welfare-elderly, ward-miyamae
    assert proposal.state == State.TRIAGE
    assert proposal.ruleset_version == 1
    assert proposal.lead_department_id == department_id("ward-miyamae")
    decision = proposal.routing_decision
    assert decision["lead"] == "ward-miyamae" and decision["co"] == ["kenko-fukushi"]
    assert decision["ruleset_version"] == 1 and decision["rules"]
    events = _events(proposal)
    routed = next(e for e in events if e.kind == "routed")
    assert routed.actor_kind == ActorKind.RULE and routed.actor_label == "ruleset v1 / 1区の区レベルのテーマ"
    to_triage = events[-1]
    assert (to_triage.from_state, to_triage.to_state) == ("submitted", "triage")
    assert to_triage.actor_kind == ActorKind.SYSTEM and to_triage.actor_label == "routing ruleset v1"
    record = db.session.scalar(sa.select(RoutingRecord).where(RoutingRecord.proposal_id == proposal.id))
    assert record.lead_rule_key and record.primary_theme == "welfare-elderly"


def test_without_a_published_ruleset_the_proposal_waits_in_triage(make_proposal):
    proposal = make_proposal()
    assert proposal.state == State.TRIAGE and proposal.routing_decision is None and proposal.needs_triage


def test_auto_routing_assigns_above_the_threshold_only(app, seeded, make_proposal):
    app.config["AUTO_ROUTE_CONFIDENCE"] = 0.8
    try:
        sure = make_proposal(title="高齢者サロンと介護予防", summary="高齢者の介護予防と見守り")
        unsure = make_proposal(title="相談", summary="何か一緒に", issue="", activities="", themes=(), wards=(),
                               scope="undecided")
    finally:
        app.config["AUTO_ROUTE_CONFIDENCE"] = None
    assert sure.state == State.ASSIGNED
    lead = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == sure.id,
                                                         Assignment.role == "lead"))
    assert lead.department_id == department_id("ward-miyamae")
    assigned = _events(sure)[-1]
    assert assigned.actor_kind == ActorKind.RULE and assigned.to_state == "assigned"
    assert unsure.state == State.TRIAGE and unsure.lead_department_id == department_id("jichi")


def test_auto_routing_is_off_by_default(app, seeded, make_proposal):
    assert app.config["AUTO_ROUTE_CONFIDENCE"] is None
    assert make_proposal(title="高齢者サロンと介護予防").state == State.TRIAGE


def test_a_department_sending_back_charges_the_rule(seeded, make_proposal, make_user):
    from routing import operations as routing_ops

    proposal = make_proposal()
    window = Actor.of_user(make_user("window"))
    routing_ops.confirm(proposal, window, expected_version=proposal.lock_version)
    db.session.commit()
    ward_staff = Actor.of_user(make_user("department_staff", "ward-miyamae"))
    operations.transition(proposal, State.TRIAGE, ward_staff, comment="介護予防は健康福祉局の事業です")
    db.session.commit()
    misroute = db.session.scalar(sa.select(Misroute))
    assert misroute.rule_name == "1区の区レベルのテーマ" and not misroute.overridden
    assert misroute.department_id == department_id("ward-miyamae")
    assert misroute.reason == "介護予防は健康福祉局の事業です"
    assert misroute_counts() == {misroute.rule_key: 1}
    assert db.session.get(Proposal, proposal.id).needs_triage


def test_the_desk_shows_who_sent_it_back_and_why(seeded, client, make_proposal, make_user):
    from routing import operations as routing_ops

    proposal = make_proposal()
    routing_ops.confirm(proposal, Actor.of_user(make_user("window")), expected_version=proposal.lock_version)
    db.session.commit()
    operations.transition(proposal, State.TRIAGE, Actor.of_user(make_user("department_staff", "ward-miyamae")),
                          comment="健康福祉局の事業です")
    db.session.commit()
    window = make_user("window")
    client.post("/staff/login", data={"email": window.email, "password": "correct horse battery"})
    page = client.get(f"/triage/{proposal.reference}").get_data(as_text=True)
    assert "宮前区役所から差し戻されました" in page and "健康福祉局の事業です" in page
    assert "差し戻し</span>" in client.get("/triage/").get_data(as_text=True)


def test_window_sending_back_is_not_a_misroute_and_overrides_are_not_charged_to_rules(
        seeded, make_proposal, make_user):
    from routing import operations as routing_ops

    proposal = make_proposal()
    window = Actor.of_user(make_user("window"))
    routing_ops.change_routing(proposal, window, department_id("kenko-fukushi"), [], "局の事業として扱う",
                               expected_version=proposal.lock_version)
    db.session.commit()
    operations.transition(proposal, State.TRIAGE, window, comment="窓口で再検討")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Misroute)) == 0
    routing_ops.change_routing(proposal, window, department_id("kenko-fukushi"), [], "やはり局へ",
                               expected_version=proposal.lock_version)
    db.session.commit()
    staff = Actor.of_user(make_user("department_staff", "kenko-fukushi"))
    operations.transition(proposal, State.TRIAGE, staff, comment="区の事業です")
    db.session.commit()
    misroute = db.session.scalar(sa.select(Misroute))
    assert misroute.overridden and misroute.rule_key is None
    closed = db.session.scalars(sa.select(Assignment.status).where(Assignment.proposal_id == proposal.id)).all()
    assert AssignmentStatus.ACTIVE in closed  # returning the assignment is the responses room's business
