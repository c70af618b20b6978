"""No proposal waits forever: a question the applicant does not answer gets
a reminder to the applicant and then a notice to the department and the
window; a proposal sitting in triage (also after a hand-back) is escalated
to the window's managers. Each rung fires exactly once (unique key, as the
departments' ladder)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from conftest import IS_POSTGRES, department_id, sweep_twice_at_once

from core.audit import Actor
from core.extensions import db
from core.models import ActorKind, Event, OutboxEmail
from proposals import operations
from proposals.models import Assignment, Proposal, State
from responses import operations as answers
from responses.clock import clock, tokyo_moment
from responses.models import Wait, WaitEscalation, WaitKind
from responses.sweep import sweep
from responses.waits import open_wait

PASSWORD = "pw-waits-2026"


@pytest.fixture
def people(make_user):
    return {
        "staff": make_user("department_staff", "ward-miyamae", name="宮前 職員", password=PASSWORD),
        "manager": make_user("department_manager", "ward-miyamae", name="宮前 課長"),
        "window": make_user("window", "jichi", name="窓口 職員", password=PASSWORD),
        "window_manager": make_user("department_manager", "jichi", name="窓口 課長", locale="en"),
        "admin": make_user("admin", name="管理者"),
        "other": make_user("department_staff", "kankyo", name="環境 職員"),
    }


@pytest.fixture
def assigned(make_proposal, people):
    """Assigned on Tue 2026-04-28 to ward-miyamae (lead)."""
    proposal = make_proposal()
    with clock.frozen(tokyo_moment(date(2026, 4, 28), 10)):
        operations.assign(proposal, department_id("ward-miyamae"), [], Actor.of_user(people["window"]))
        db.session.commit()
    lead = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id))
    return proposal, lead


def _run(day: date, hour: int = 9):
    result = sweep(tokyo_moment(day, hour))
    db.session.commit()
    return result


def _emails(escalation: WaitEscalation) -> list[OutboxEmail]:
    return db.session.scalars(sa.select(OutboxEmail).where(
        OutboxEmail.idempotency_key.startswith(f"responses:wait:{escalation.id}:")).order_by(OutboxEmail.id)).all()


def _fired(**expected) -> dict[str, int]:
    rungs = {"triage/overdue": 0, "triage/second": 0, "applicant/reminder": 0, "applicant/overdue": 0}
    rungs.update({key.replace("__", "/"): value for key, value in expected.items()})
    return rungs


def _ask(proposal, lead, people, day=date(2026, 4, 30)):
    with clock.frozen(tokyo_moment(day, 10)):
        answers.request_information(lead, Actor.of_user(people["staff"]), "予算の内訳を教えてください。")
        db.session.commit()


def test_an_unanswered_question_reminds_the_applicant_then_the_department_and_the_window_decide(
        assigned, people):
    proposal, lead = assigned
    applicant = proposal.created_by
    applicant.locale = "en"
    db.session.commit()
    _ask(proposal, lead, people)  # Thu 4/30; ten business days (Golden Week excluded) end on 5/19
    wait = open_wait(proposal.id)
    assert wait.kind == WaitKind.APPLICANT and wait.department_id == department_id("ward-miyamae")
    assert _run(date(2026, 5, 19)).waits == _fired()
    first = _run(date(2026, 5, 20))
    assert first.waits == _fired(applicant__reminder=1) and first.total == 0  # no department deadline runs
    reminder = db.session.scalar(sa.select(WaitEscalation))
    assert reminder.level == "reminder" and reminder.due_on == date(2026, 5, 19)
    [email] = _emails(reminder)
    assert email.to_address == applicant.email and email.locale == "en"
    assert proposal.reference in email.subject and "answer" in email.subject.lower()
    assert f"/my/proposals/{proposal.reference}" in email.body_text
    assert "予算の内訳を教えてください。" in email.body_text  # the question they owe an answer to
    assert _run(date(2026, 5, 20), 15).waits == _fired()  # the same day again: nothing new
    assert _run(date(2026, 5, 26)).waits == _fired()  # five business days after the reminder's due date
    second = _run(date(2026, 5, 27))
    assert second.waits == _fired(applicant__overdue=1)
    notice = db.session.scalar(sa.select(WaitEscalation).where(WaitEscalation.level == "overdue"))
    emails = _emails(notice)
    assert {e.to_address for e in emails} == {people["staff"].email, people["manager"].email,
                                              people["window"].email, people["window_manager"].email}
    department_email = next(e for e in emails if e.to_address == people["staff"].email)
    assert f"/inbox/proposals/{proposal.id}" in department_email.body_text
    assert "回答を待たずに検討を続ける" in department_email.body_text  # the choices: chase, carry on, close
    window_email = next(e for e in emails if e.to_address == people["window_manager"].email)
    assert window_email.locale == "en" and f"/triage/{proposal.reference}" in window_email.body_text
    assert _run(date(2026, 6, 30)).waits == _fired()  # every rung has fired: nothing more, ever
    events = db.session.scalars(sa.select(Event).where(Event.proposal_id == proposal.id,
                                                       Event.kind.like("applicant_wait_%")).order_by(Event.id)).all()
    assert [e.kind for e in events] == ["applicant_wait_reminder", "applicant_wait_overdue"]
    assert all(e.actor_kind == ActorKind.SCHEDULER and not e.public for e in events)
    # The applicant answers: the wait ends, a new question is a new wait with its own ladder.
    with clock.frozen(tokyo_moment(date(2026, 7, 1), 10)):
        operations.answer_info_request(proposal, Actor.of_user(applicant), "内訳を添付します。")
        db.session.commit()
    assert open_wait(proposal.id) is None
    _ask(proposal, db.session.get(Assignment, lead.id), people, date(2026, 7, 2))
    assert open_wait(proposal.id).id != wait.id


def test_the_reply_days_are_a_setting(app, assigned, people):
    proposal, lead = assigned
    _ask(proposal, lead, people)
    app.config["DEADLINE_APPLICANT_REPLY_BUSINESS_DAYS"] = 3
    try:
        assert _run(date(2026, 5, 8)).waits == _fired()  # 3 business days after Thu 4/30 end on 5/8
        assert _run(date(2026, 5, 11)).waits == _fired(applicant__reminder=1)
    finally:
        app.config["DEADLINE_APPLICANT_REPLY_BUSINESS_DAYS"] = 10


def test_a_hand_back_sitting_in_triage_is_escalated_to_the_windows_managers(assigned, people):
    proposal, lead = assigned
    with clock.frozen(tokyo_moment(date(2026, 5, 1), 10)):
        answers.not_ours(lead, Actor.of_user(people["staff"]), "道路の案件のため建設緑政局が適切です。")
        db.session.commit()
    wait = open_wait(proposal.id)
    assert wait.kind == WaitKind.TRIAGE  # TRIAGE_BUSINESS_DAYS (2) after Fri 5/1 end on 5/8
    assert _run(date(2026, 5, 8)).waits == _fired()
    assert _run(date(2026, 5, 11)).waits == _fired(triage__overdue=1)
    overdue = db.session.scalar(sa.select(WaitEscalation))
    assert {e.to_address for e in _emails(overdue)} == {people["window"].email, people["window_manager"].email}
    assert all(f"/triage/{proposal.reference}" in e.body_text for e in _emails(overdue))
    assert _run(date(2026, 5, 11), 15).waits == _fired()
    assert _run(date(2026, 5, 15)).waits == _fired()
    assert _run(date(2026, 5, 18)).waits == _fired(triage__second=1)
    second = db.session.scalar(sa.select(WaitEscalation).where(WaitEscalation.level == "second"))
    assert {e.to_address for e in _emails(second)} == {people["window_manager"].email, people["admin"].email}
    assert _run(date(2026, 6, 30)).waits == _fired()
    # Routed again: the wait ends.
    from routing import operations as routing_ops

    routing_ops.change_routing(proposal, Actor.of_user(people["window"]), department_id("kensetsu-ryokusei"), [],
                               "建設緑政局へ", expected_version=db.session.get(Proposal, proposal.id).lock_version)
    db.session.commit()
    assert db.session.get(Wait, wait.id).ended_at is not None and open_wait(proposal.id) is None


def test_a_new_proposal_in_triage_has_the_same_deadline(make_proposal, people):
    with clock.frozen(tokyo_moment(date(2026, 4, 30), 10)):
        proposal = make_proposal()
    assert proposal.state == State.TRIAGE and open_wait(proposal.id).kind == WaitKind.TRIAGE
    assert _run(date(2026, 5, 7)).waits == _fired()  # 2 business days after Thu 4/30 end on 5/7
    assert _run(date(2026, 5, 8)).waits == _fired(triage__overdue=1)


def test_waits_missing_from_before_are_opened_by_the_sweep(make_proposal, people):
    proposal = make_proposal()
    db.session.execute(sa.delete(Wait))
    db.session.commit()
    assert open_wait(proposal.id) is None
    _run(date(2026, 12, 1))
    wait = open_wait(proposal.id)
    assert wait is not None and wait.kind == WaitKind.TRIAGE
    event_time = db.session.scalar(sa.select(Event.created_at).where(
        Event.proposal_id == proposal.id, Event.to_state == "triage"))
    assert wait.started_at == event_time


def test_the_window_carries_on_without_the_answer(app, assigned, people):
    proposal, lead = assigned
    _ask(proposal, lead, people)
    department = app.test_client()
    department.post("/staff/login", data={"email": people["staff"].email, "password": PASSWORD})
    page = department.get(f"/inbox/proposals/{proposal.id}").get_data(as_text=True)
    assert "10開庁日たっても回答がないときは提案者に催促のメールを送り" in page
    client = app.test_client()
    client.post("/staff/login", data={"email": people["window"].email, "password": PASSWORD})
    page = client.get(f"/triage/{proposal.reference}").get_data(as_text=True)
    assert "回答を待たずに検討を続ける" in page
    version = db.session.get(Proposal, proposal.id).lock_version
    response = client.post(f"/triage/{proposal.reference}/resume",
                           data={"form": "resume", "resume-lock_version": version, "resume-comment": ""})
    assert response.status_code == 400 and "回答を待たずに進める理由を入力してください" in response.get_data(as_text=True)
    with clock.frozen(tokyo_moment(date(2026, 5, 27), 10)):
        response = client.post(f"/triage/{proposal.reference}/resume", data={
            "form": "resume", "resume-lock_version": version, "resume-comment": "いただいた資料で検討を続けます。"})
    assert response.status_code == 302
    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal.id)
    assert proposal.state == State.ASSIGNED and open_wait(proposal.id) is None
    assert db.session.get(Assignment, lead.id).paused_since is None  # the department's clock runs again
    event = db.session.scalar(sa.select(Event).where(Event.from_state == "info_requested"))
    assert event.comment == "いただいた資料で検討を続けます。" and event.public and event.data["without_answer"]
    # A department may not do it (the desk is the window's).
    assert department.post(f"/triage/{proposal.reference}/resume", data={}).status_code == 403


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL: concurrent sweeps block on the unique key")
def test_two_concurrent_sweeps_fire_each_wait_rung_once(app, make_proposal, people):
    with clock.frozen(tokyo_moment(date(2026, 4, 30), 10)):
        for _ in range(10):
            make_proposal()  # ten proposals waiting in triage
    now = tokyo_moment(date(2026, 5, 20), 9)  # both triage rungs are due for all ten
    results = sweep_twice_at_once(app, now)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WaitEscalation)) == 20
    fired = [sum(r.waits.values()) for r in results]
    assert sum(fired) == 20
    keys = db.session.scalars(sa.select(OutboxEmail.idempotency_key).where(
        OutboxEmail.idempotency_key.startswith("responses:wait:"))).all()
    assert keys and len(keys) == len(set(keys))
