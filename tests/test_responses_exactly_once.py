"""Finding 2 of issue 13: every department action is recorded exactly once,
whether the same button is pressed twice in a row (a double click) or many
requests arrive at once (row locks on PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa
from conftest import IS_POSTGRES, department_id
from test_responses_inbox import login, proposal, staff  # noqa: F401  (fixtures)

from core.audit import Actor
from core.extensions import db
from core.models import Event, OutboxEmail, User
from proposals import operations
from proposals.models import Assignment, AssignmentRole, Message, Proposal
from responses import operations as ops
from responses.clock import clock, tokyo_moment

# action -> (path, form data, the role that acts, how many events one answer records)
ACTIONS = {
    "acknowledge": ("acknowledge", {"ack-note": "確認しています。"}, "lead"),
    "meeting": ("meeting", {"meeting-message": "お話を伺えますか。", "meeting-option1": "10月1日14時"}, "lead"),
    "request_info": ("request_info", {"info-question": "会場の広さを教えてください。"}, "lead"),
    "not_ours": ("not_ours", {"notours-reason": "公園の管理は建設緑政局です。"}, "lead"),
    # The co-department has not given its opinion: the lead confirms deciding without it (issue 12).
    "adopt": ("adopt", {"adopt-text": "採択します。", "adopt-without_opinions": "y"}, "lead"),
    "not_adopt": ("not_adopt", {"notadopt-reason": "予算がない", "notadopt-applicant_text": "今回は見送ります。",
                                "notadopt-without_opinions": "y"}, "lead"),
    "opinion": ("opinion", {"opinion-body": "福祉の観点から協力できます。"}, "co"),
}


def _answer_events(proposal_id: int) -> list[Event]:
    """The events a department's answer records (the state change or the answer's own kind), after the
    assignment — by the log's order: the fixture assigns at a frozen moment in the past (the kernel's
    clock, which stamps events too), before the answers, which the test makes at the real time."""
    return db.session.scalars(sa.select(Event).where(
        Event.proposal_id == proposal_id, Event.actor_kind == "user",
        Event.kind.in_(["assignment_acknowledged", "state_changed", "meeting_proposed", "co_opinion",
                        "co_assignment_returned"]),
        Event.id > sa.func.coalesce(
            sa.select(sa.func.max(Event.id)).where(Event.proposal_id == proposal_id,
                                                   Event.to_state == "assigned").scalar_subquery(),
            0),
    )).all()


@pytest.mark.parametrize("action", ACTIONS)
def test_a_double_click_records_one_answer(app, proposal, staff, action):  # noqa: F811
    path, data, role = ACTIONS[action]
    client = login(app, staff[role])
    version = str(db.session.get(Proposal, proposal.id).lock_version)
    first = client.post(f"/inbox/proposals/{proposal.id}/{path}", data={**data, _prefix(action) + "version": version})
    assert first.status_code == 302, first.get_data(as_text=True)[:300]
    second = client.post(f"/inbox/proposals/{proposal.id}/{path}", data={**data, _prefix(action) + "version": version})
    assert second.status_code in (403, 404, 409)  # refused plainly: done already, or the assignment ended
    assert len(_answer_events(proposal.id)) == 1
    if action in ("meeting", "not_adopt", "opinion"):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
            Message.proposal_id == proposal.id)) == 1


def _prefix(action: str) -> str:
    return {"acknowledge": "ack-", "meeting": "meeting-", "request_info": "info-", "not_ours": "notours-",
            "adopt": "adopt-", "not_adopt": "notadopt-", "opinion": "opinion-"}[action]


def _call(action: str, assignment: Assignment, actor: Actor, version: int):
    if action == "acknowledge":
        return ops.acknowledge(assignment, actor, "確認しています。")
    if action == "meeting":
        return ops.propose_meeting(assignment, actor, ["10月1日14時"], "お話を伺えますか。", expected_version=version)
    if action == "request_info":
        return ops.request_information(assignment, actor, "会場の広さを教えてください。", expected_version=version)
    if action == "not_ours":
        return ops.not_ours(assignment, actor, "公園の管理は建設緑政局です。", expected_version=version)
    if action == "adopt":
        return ops.adopt(assignment, actor, "採択します。", ops.NextSteps(), expected_version=version,
                        without_opinions=True)
    if action == "not_adopt":
        return ops.not_adopt(assignment, actor, "予算がない", "今回は見送ります。", expected_version=version,
                            without_opinions=True)
    return ops.co_opinion(assignment, actor, "福祉の観点から協力できます。")


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRES, reason="row locks need PostgreSQL (CI runs this on PostgreSQL)")
@pytest.mark.parametrize("action", ACTIONS)
def test_twenty_concurrent_answers_record_one(app, proposal, staff, action):  # noqa: F811
    """20 requests at once, each in its own thread, app context and database
    connection: one answer, one set of emails; the other 19 are refused."""
    _, _, role = ACTIONS[action]
    assignment_id = db.session.scalar(sa.select(Assignment.id).where(
        Assignment.proposal_id == proposal.id,
        Assignment.role == (AssignmentRole.CO if role == "co" else AssignmentRole.LEAD)))
    user_id, proposal_id = staff[role].id, proposal.id
    version = db.session.get(Proposal, proposal.id).lock_version
    emails_before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))
    start = threading.Barrier(20)
    outcomes: list[object] = []

    def act():
        with app.app_context():
            try:
                actor = Actor.of_user(db.session.get(User, user_id))
                assignment = db.session.get(Assignment, assignment_id)
                db.session.commit()  # start the race from a clean transaction, as a request would
                start.wait(timeout=30)
                _call(action, assignment, actor, version)
                db.session.commit()
                outcomes.append("done")
            except operations.TransitionError as refused:
                db.session.rollback()
                outcomes.append(refused)
            except Exception as error:  # pragma: no cover - a deadlock or a 500 would land here
                db.session.rollback()
                outcomes.append(error)
            finally:
                db.session.remove()

    # The clock is one per process: frozen once here, around the race. Freezing it inside each thread
    # interleaved the saves and restores and left it frozen in 2026-09 for the tests after this one.
    threads = [threading.Thread(target=act) for _ in range(20)]
    with clock.frozen(tokyo_moment(date(2026, 9, 15), 10)):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert outcomes.count("done") == 1, outcomes
    assert all(isinstance(o, operations.TransitionError) for o in outcomes if o != "done"), outcomes
    db.session.expire_all()
    assert len(_answer_events(proposal_id)) == 1
    emails_after = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))
    # One answer's emails: whatever one answer sends, not 20 times that.
    assert emails_after - emails_before <= 3


def test_a_co_department_gives_one_opinion(app, proposal, staff):  # noqa: F811
    client = login(app, staff["co"])
    client.post(f"/inbox/proposals/{proposal.id}/opinion", data={"opinion-body": "協力できます。"})
    again = client.post(f"/inbox/proposals/{proposal.id}/opinion", data={"opinion-body": "協力できます。"})
    assert again.status_code == 409
    assert "すでに登録しています" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.kind == "co_opinion")) == 1
    assert department_id("kenko-fukushi")
