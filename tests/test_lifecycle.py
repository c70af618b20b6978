"""The lifecycle table is enforced by one operation: every allowed move
works for the right party, everything else is refused clearly."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import IS_POSTGRES, department_id

from core.audit import Actor
from core.extensions import db
from core.models import Event
from proposals import operations
from proposals.lifecycle import PUBLIC_STATE_OF, STATE_LABELS, TRANSITIONS, Party, find_transition, public_state
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, Proposal, State


def _put_in_state(proposal: Proposal, state: State) -> None:
    """Test setup only: place a proposal in a state without the table."""
    proposal.state = state
    if state == State.INFO_REQUESTED:
        proposal.resume_state = State.ASSIGNED
    db.session.commit()


@pytest.fixture
def parties(make_user, make_proposal):
    """One actor per party, all entitled to act on one proposal."""
    applicant = make_user("applicant")
    proposal = make_proposal(applicant=applicant)
    proposal.merged_into_id = make_proposal().id  # a merge needs a target
    department_user = make_user("department_staff", "ward-miyamae")
    db.session.add(Assignment(proposal_id=proposal.id, department_id=department_id("ward-miyamae"),
                              role=AssignmentRole.LEAD))
    db.session.commit()
    return proposal, {
        Party.APPLICANT: Actor.of_user(applicant),
        Party.WINDOW: Actor.of_user(make_user("window")),
        Party.DEPARTMENT: Actor.of_user(department_user),
        Party.SYSTEM: Actor.system("test"),
    }


@pytest.mark.parametrize("move", TRANSITIONS, ids=lambda t: f"{t.source}->{t.target}")
def test_every_allowed_transition_works_for_each_allowed_party(move, parties):
    proposal, actors = parties
    for party in sorted(move.parties):
        _put_in_state(proposal, move.source)
        event = operations.transition(proposal, move.target, actors[party], comment="理由を書きました")
        db.session.commit()
        assert db.session.get(Proposal, proposal.id).state == move.target
        assert (event.from_state, event.to_state, event.public) == (move.source, move.target, move.public)
        assert event.comment == "理由を書きました"
        assert event.actor_kind == actors[party].kind


@pytest.mark.parametrize("move", TRANSITIONS, ids=lambda t: f"{t.source}->{t.target}")
def test_parties_not_in_the_table_are_refused(move, parties):
    proposal, actors = parties
    outsiders = set(Party) - move.parties
    for party in outsiders:
        _put_in_state(proposal, move.source)
        with pytest.raises(operations.NotPermitted):
            operations.transition(proposal, move.target, actors[party], comment="x")
        db.session.rollback()
        assert db.session.get(Proposal, proposal.id).state == move.source


def test_moves_missing_from_the_table_are_refused(parties):
    proposal, actors = parties
    refused = 0
    for source in State:
        for target in State:
            if source == target or find_transition(source, target):
                continue
            _put_in_state(proposal, source)
            with pytest.raises(operations.InvalidTransition) as info:
                operations.transition(proposal, target, actors[Party.WINDOW], comment="x")
            # The refusal names both states in words, not codes.
            assert f"「{STATE_LABELS[source]}」から「{STATE_LABELS[target]}」へは変更できません" in str(info.value)
            db.session.rollback()
            refused += 1
    assert refused == 13 * 12 - len(TRANSITIONS)


@pytest.mark.parametrize("move", [t for t in TRANSITIONS if t.comment_required],
                         ids=lambda t: f"{t.source}->{t.target}")
def test_every_move_that_needs_a_comment_refuses_a_blank_one(move, parties):
    proposal, actors = parties
    _put_in_state(proposal, move.source)
    with pytest.raises(operations.CommentRequired):
        operations.transition(proposal, move.target, actors[sorted(move.parties)[0]], comment=" \u3000 ")
    db.session.rollback()
    assert db.session.get(Proposal, proposal.id).state == move.source


def test_comment_is_required_where_the_table_says(parties):
    proposal, actors = parties
    _put_in_state(proposal, State.ASSIGNED)
    with pytest.raises(operations.CommentRequired):
        operations.transition(proposal, State.NOT_ADOPTED, actors[Party.DEPARTMENT], comment="   ")
    db.session.rollback()
    operations.transition(proposal, State.NOT_ADOPTED, actors[Party.DEPARTMENT], comment="既存事業と重複")
    db.session.commit()
    assert proposal.decision_reason == "既存事業と重複"


def test_applicant_of_another_organisation_cannot_act(parties, make_user):
    proposal, _ = parties
    stranger = Actor.of_user(make_user("applicant"))
    with pytest.raises(operations.NotPermitted):
        operations.transition(proposal, State.WITHDRAWN, stranger)


def test_department_without_an_assignment_cannot_act(parties, make_user):
    proposal, _ = parties
    _put_in_state(proposal, State.ASSIGNED)
    other = Actor.of_user(make_user("department_staff", "kodomo-mirai"))
    with pytest.raises(operations.NotPermitted):
        operations.transition(proposal, State.IN_CONSULTATION, other)


def test_stale_version_is_a_conflict(parties):
    proposal, actors = parties
    seen_version = proposal.lock_version
    operations.transition(proposal, State.INFO_REQUESTED, actors[Party.WINDOW], comment="団体の規約を送ってください")
    db.session.commit()
    with pytest.raises(operations.Conflict):
        operations.transition(proposal, State.MERGED, actors[Party.WINDOW], comment="x", expected_version=seen_version)


def test_the_same_move_twice_is_a_conflict_that_says_so(parties):
    proposal, actors = parties
    _put_in_state(proposal, State.ASSIGNED)
    operations.transition(proposal, State.IN_CONSULTATION, actors[Party.DEPARTMENT])
    db.session.commit()
    with pytest.raises(operations.Conflict) as info:
        operations.transition(proposal, State.IN_CONSULTATION, actors[Party.DEPARTMENT])
    assert "すでに「協議中」" in str(info.value)


def test_information_request_resumes_where_it_stopped(parties):
    proposal, actors = parties
    _put_in_state(proposal, State.IN_CONSULTATION)
    proposal.resume_state = None
    db.session.commit()
    operations.transition(proposal, State.INFO_REQUESTED, actors[Party.DEPARTMENT], comment="見積もりを")
    operations.answer_info_request(proposal, actors[Party.APPLICANT], "見積もりを添付します")
    db.session.commit()
    assert proposal.state == State.IN_CONSULTATION
    kinds = db.session.scalars(sa.select(Event.kind).where(Event.proposal_id == proposal.id)).all()
    assert "message_posted" in kinds


def test_assign_creates_lead_and_co_and_reassign_closes_old(make_user, make_proposal):
    proposal = make_proposal()
    window = Actor.of_user(make_user("window"))
    operations.assign(proposal, department_id("ward-miyamae"), [department_id("kenko-fukushi")], window)
    db.session.commit()
    active = {(a.department.code, a.role) for a in proposal.assignments if a.status == AssignmentStatus.ACTIVE}
    assert active == {("ward-miyamae", AssignmentRole.LEAD), ("kenko-fukushi", AssignmentRole.CO)}
    operations.transition(proposal, State.TRIAGE, window, comment="区では対応できない")
    operations.assign(proposal, department_id("kenko-fukushi"), [], window, reason="局で対応")
    db.session.commit()
    db.session.expire_all()
    active = {(a.department.code, a.role) for a in proposal.assignments if a.status == AssignmentStatus.ACTIVE}
    assert active == {("kenko-fukushi", AssignmentRole.LEAD)}
    assert len(proposal.assignments) == 3  # history kept


def test_internal_states_map_to_fewer_public_states():
    assert set(PUBLIC_STATE_OF) == set(State)
    assert len(set(PUBLIC_STATE_OF.values())) < len(State)
    assert public_state(State.TRIAGE) == public_state(State.SUBMITTED)


def test_events_are_append_only(parties):
    proposal, actors = parties
    event = operations.transition(proposal, State.INFO_REQUESTED, actors[Party.WINDOW], comment="x")
    db.session.commit()
    event.comment = "changed"
    with pytest.raises(Exception, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_reference_numbers_are_per_fiscal_year_and_unique(make_proposal):
    first, second = make_proposal(), make_proposal()
    third = make_proposal()
    window = Actor.of_user(third.created_by)
    with pytest.raises(operations.InvalidTransition):
        operations.merge(third, third, window, "x")
    pattern = re.compile(r"^KW-(\d{4})-(\d{6})$")
    a, b = pattern.match(first.reference), pattern.match(second.reference)
    assert a and b and a.group(1) == str(first.fiscal_year)
    assert int(b.group(2)) == int(a.group(2)) + 1


def test_lifecycle_document_lists_every_transition():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    for move in TRANSITIONS:
        # The whole row: who may, whether a comment is needed, whether the applicant sees it.
        row = (f"| {move.source} | {move.target} | {', '.join(sorted(p.value for p in move.parties))} | "
               f"{'yes' if move.comment_required else 'no'} | {'yes' if move.public else 'no'} |")
        assert row in doc, f"{row} missing from docs/lifecycle.md: run tools/lifecycle_doc.py"


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRES, reason="row locks need PostgreSQL (CI runs this on PostgreSQL)")
def test_concurrent_transitions_exactly_one_wins(app, make_user, make_proposal):
    proposal = make_proposal()
    window_a, window_b = make_user("window"), make_user("window")
    version = proposal.lock_version
    proposal_id = proposal.id
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def act(name, user_id, target, comment):
        with app.app_context():
            from core.models import User

            actor = Actor.of_user(db.session.get(User, user_id))
            start.wait()
            try:
                operations.transition(proposal_id, target, actor, comment=comment, expected_version=version)
                threading.Event().wait(0.3)  # hold the row lock while the other waits
                db.session.commit()
                outcomes[name] = "won"
            except operations.TransitionError as error:
                db.session.rollback()
                outcomes[name] = error
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=act, args=("a", window_a.id, State.INFO_REQUESTED, "規約を送ってください")),
        threading.Thread(target=act, args=("b", window_b.id, State.MERGED, "重複")),
    ]
    proposal.merged_into_id = make_proposal().id  # lets the merge satisfy its constraint if it wins
    db.session.commit()
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    results = list(outcomes.values())
    assert results.count("won") == 1
    loser = next(r for r in results if r != "won")
    assert isinstance(loser, operations.Conflict)
    assert "他の職員によって更新されました" in str(loser)
    db.session.expire_all()
    final = db.session.get(Proposal, proposal_id)
    assert final.lock_version == version + 1
    events = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.proposal_id == proposal_id, Event.to_state.in_(["info_requested", "merged"])))
    assert events == 1


def test_the_submission_event_records_the_consents_given(make_proposal):
    proposal = make_proposal(consent_publish=True)
    event = db.session.scalar(sa.select(Event).where(Event.proposal_id == proposal.id,
                                                     Event.to_state == State.SUBMITTED))
    assert event.data == {"reference": proposal.reference, "consents": {"privacy": True, "publish": True}}
