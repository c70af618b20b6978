"""The escalation ladder: reminder, overdue notice, second level; each
fires exactly once per deadline, even when the sweep runs twice or
concurrently (PostgreSQL, threads)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from conftest import IS_POSTGRES, department_id, sweep_twice_at_once

from core.audit import Actor
from core.extensions import db
from core.models import ActorKind, Event, OutboxEmail, User
from proposals import operations
from proposals.models import Assignment, AssignmentRole
from responses import operations as answers
from responses.clock import clock, tokyo_moment
from responses.models import DepartmentHead, Escalation
from responses.notifications import render_room_email
from responses.recipients import detail_path
from responses.sweep import sweep


@pytest.fixture
def people(make_user):
    return {
        "staff": make_user("department_staff", "ward-miyamae", name="宮前 職員", locale="en"),
        "manager": make_user("department_manager", "ward-miyamae", name="宮前 課長"),
        "head": make_user("department_manager", "ward-miyamae", name="宮前 区長"),
        "window": make_user("window", "jichi", name="窓口 職員"),
        "window_manager": make_user("department_manager", "jichi", name="窓口 課長"),
        "other": make_user("department_staff", "kankyo", name="環境 職員"),
    }


@pytest.fixture
def assigned(make_user, make_proposal, people):
    """Assigned on Tue 2026-04-28: acknowledgement due 5/11, answer due 6/1."""
    proposal = make_proposal()
    with clock.frozen(tokyo_moment(date(2026, 4, 28), 10)):
        operations.assign(proposal, department_id("ward-miyamae"), [], Actor.of_user(people["window"]))
        db.session.commit()
    lead = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id))
    return proposal, lead


def _emails(kind_fragment: str = "responses:escalation") -> list[OutboxEmail]:
    return db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.idempotency_key.startswith(kind_fragment)).order_by(OutboxEmail.id)
    ).all()


def _run(day: date, hour: int = 9):
    result = sweep(tokyo_moment(day, hour))
    db.session.commit()
    return result


def test_assignment_emails_the_department_with_a_link(assigned, people):
    proposal, _ = assigned
    emails = _emails("responses:assigned")
    assert {e.to_address for e in emails} == {people["staff"].email, people["manager"].email, people["head"].email}
    english = next(e for e in emails if e.to_address == people["staff"].email)
    assert english.locale == "en" and "assigned" in english.subject.lower()
    assert f"/inbox/proposals/{proposal.id}" in english.body_text


def test_the_ladder_fires_each_level_once(assigned, people):
    proposal, lead = assigned
    assert _run(date(2026, 5, 6)).total == 0  # Golden Week: three business days still ahead
    first = _run(date(2026, 5, 7))
    assert first.fired == {"reminder": 1, "overdue": 0, "second": 0}
    reminders = _emails()
    assert {e.to_address for e in reminders} == {people["staff"].email, people["manager"].email, people["head"].email}
    assert _run(date(2026, 5, 7), 15).total == 0  # the same day again: nothing new
    assert _run(date(2026, 5, 11)).total == 0  # the due date itself: still the same reminder
    overdue = _run(date(2026, 5, 12))
    assert overdue.fired == {"reminder": 0, "overdue": 1, "second": 0}
    told = {e.to_address for e in _emails()[len(reminders):]}
    assert told == {people["manager"].email, people["head"].email, people["window"].email}
    assert _run(date(2026, 5, 18)).total == 0
    second = _run(date(2026, 5, 19))
    assert second.fired == {"reminder": 0, "overdue": 0, "second": 1}
    assert _run(date(2026, 5, 20)).total == 0
    events = db.session.scalars(sa.select(Event).where(Event.proposal_id == proposal.id,
                                                       Event.kind.startswith("deadline_"))).all()
    assert [e.kind for e in events] == ["deadline_reminder", "deadline_overdue", "deadline_second"]
    assert all(e.actor_kind == ActorKind.SCHEDULER and e.actor_label == "deadline sweep" for e in events)
    assert all(not e.public for e in events)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Escalation)) == 3


def test_second_level_goes_to_the_head_on_record_and_the_window_manager(assigned, people):
    db.session.add(DepartmentHead(department_id=department_id("ward-miyamae"), user_id=people["head"].id))
    db.session.commit()
    _run(date(2026, 5, 19))  # a sweep that was down for a week fires both late levels at once
    escalation = db.session.scalar(sa.select(Escalation).where(Escalation.level == "second"))
    emails = _emails(f"responses:escalation:{escalation.id}:")
    assert {e.to_address for e in emails} == {people["head"].email, people["window_manager"].email}
    assert all("/inbox/proposals/" in e.body_text for e in emails)
    assert not db.session.scalar(sa.select(Escalation).where(Escalation.level == "reminder"))


def test_acknowledging_stops_the_acknowledgement_ladder(assigned, people):
    proposal, lead = assigned
    with clock.frozen(tokyo_moment(date(2026, 5, 8), 10)):
        answers.acknowledge(lead, Actor.of_user(people["staff"]))
        db.session.commit()
    assert _run(date(2026, 5, 12)).total == 0
    assert _run(date(2026, 5, 28)).fired["reminder"] == 1  # the answer deadline (6/1) is now close
    assert db.session.scalar(sa.select(Escalation.deadline_kind)) == "answer"


def test_no_escalation_while_the_applicant_owes_an_answer(assigned, people):
    proposal, lead = assigned
    with clock.frozen(tokyo_moment(date(2026, 4, 30), 10)):
        answers.request_information(lead, Actor.of_user(people["staff"]), "予算の内訳を教えてください。")
        db.session.commit()
    assert _run(date(2026, 6, 10)).total == 0
    with clock.frozen(tokyo_moment(date(2026, 6, 10), 10)):
        operations.answer_info_request(proposal, Actor.of_user(proposal.created_by), "内訳を添付します。")
        db.session.commit()
    lead = db.session.get(Assignment, lead.id)
    # Paused 4/30 → 6/10: 26 business days (Golden Week excluded) added to 6/1.
    assert lead.answer_due_on == date(2026, 7, 7)
    assert _run(date(2026, 6, 11)).total == 0
    replied = _emails("responses:replied")
    assert {e.to_address for e in replied} == {people["staff"].email, people["manager"].email, people["head"].email}


def test_decided_and_returned_proposals_are_not_chased(assigned, make_proposal, people):
    proposal, lead = assigned
    with clock.frozen(tokyo_moment(date(2026, 5, 1), 10)):
        answers.not_ours(lead, Actor.of_user(people["staff"]), "道路の案件のため建設緑政局が適切です。")
        db.session.commit()
    assert _run(date(2026, 6, 30)).total == 0


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL: concurrent sweeps block on the unique key")
def test_two_concurrent_sweeps_send_each_escalation_once(app, make_proposal, people):
    window = Actor.of_user(people["window"])
    with clock.frozen(tokyo_moment(date(2026, 4, 28), 10)):
        for _ in range(12):
            proposal = make_proposal()
            operations.assign(proposal, department_id("ward-miyamae"), [department_id("kankyo")], window)
        db.session.commit()
    now = tokyo_moment(date(2026, 5, 19), 9)  # every rung is due at once for 24 assignments
    results = sweep_twice_at_once(app, now)
    escalations = db.session.scalars(sa.select(Escalation)).all()
    # 24 assignments × 2 deadlines (ack overdue since 5/12) … only ack is past due: overdue + second each.
    assert len(escalations) == 24 * 2
    assert sum(r.total for r in results) == 48
    keys = db.session.scalars(sa.select(OutboxEmail.idempotency_key).where(
        OutboxEmail.idempotency_key.startswith("responses:escalation"))).all()
    assert len(keys) == len(set(keys)) == sum(r.emails for r in results)
    events = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.kind.startswith("deadline_")))
    assert events == 48
    co = db.session.scalars(sa.select(Assignment).where(Assignment.role == AssignmentRole.CO)).all()
    assert len(co) == 12


def test_flask_deadlines_sweep_command_and_the_beat_task(app, assigned, people):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["deadlines", "sweep", "--today", "2026-05-12"])
    assert result.exit_code == 0, result.output
    assert "overdue=1" in result.output
    again = runner.invoke(args=["deadlines", "sweep", "--today", "2026-05-12"])
    assert "overdue=0" in again.output and "reminder=0" in again.output
    assert app.extensions["celery"].conf.beat_schedule["deadline-sweep"]["task"] == "deadlines.sweep"
    task = app.extensions["celery"].tasks["deadlines.sweep"]
    with clock.frozen(tokyo_moment(date(2026, 5, 19), 9)):
        assert task.apply().get() == 1  # what the worker runs on the beat: fires the second level
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Escalation)) == 2


def test_sweeps_by_partition_share_the_departments_and_fire_what_one_sweep_would(app, make_proposal, people):
    """docs/scaling.md: N sweeps, each --partition i/N, together fire every
    rung once; each takes only its departments; a bad share is refused."""
    window = Actor.of_user(people["window"])
    with clock.frozen(tokyo_moment(date(2026, 4, 28), 10)):
        for _ in range(3):
            operations.assign(make_proposal(), department_id("ward-miyamae"), [department_id("kankyo")], window)
        db.session.commit()
    runner = app.test_cli_runner()
    outputs = [runner.invoke(args=["deadlines", "sweep", "--today", "2026-05-19", "--partition", f"{i}/3"])
               for i in range(3)]
    assert all(out.exit_code == 0 for out in outputs), [out.output for out in outputs]
    rows = db.session.execute(sa.select(Assignment.department_id, sa.func.count(Escalation.id))
                              .join(Escalation, Escalation.assignment_id == Assignment.id)
                              .group_by(Assignment.department_id)).all()
    assert dict(rows) == {department_id("ward-miyamae"): 6, department_id("kankyo"): 6}  # overdue + second, each
    shares = [int(out.output.split("overdue=")[1].split(",")[0]) for out in outputs]
    departments = (department_id("ward-miyamae"), department_id("kankyo"))
    assert shares == [3 * sum(1 for d in departments if d % 3 == i) for i in range(3)]  # each its own departments
    assert runner.invoke(args=["deadlines", "sweep", "--today", "2026-05-19"]).output.count("=0") >= 3
    refused = runner.invoke(args=["deadlines", "sweep", "--partition", "3/3"])
    assert refused.exit_code != 0 and "--partition" in refused.output


def test_each_rung_is_announced_as_written_but_reindexes_nothing(assigned, people):
    """The sweep writes a batch's events at once (record_events) and still announces each one
    (event_recorded: the webhooks turn rungs into deadline_near/overdue), with the id it was
    written under and changes_proposal=False: a proposal only chased is not reindexed by search."""
    from core.audit import event_recorded
    from search.receivers import DIRTY

    proposal, _ = assigned
    heard = []

    def listener(event, changes_proposal=True, **_):
        heard.append((event.id, event.kind, event.proposal_id, changes_proposal))

    event_recorded.connect(listener)
    try:
        db.session.info.pop(DIRTY, None)
        result = sweep(tokyo_moment(date(2026, 5, 7), 9))  # the acknowledgement's reminder (due 5/11)
        marked = set(db.session.info.get(DIRTY, set()))
        db.session.commit()
    finally:
        event_recorded.disconnect(listener)
    assert result.total == 1 and len(heard) == 1
    event_id, kind, proposal_id, changes_proposal = heard[0]
    assert (kind, proposal_id, changes_proposal) == ("deadline_reminder", proposal.id, False)
    assert db.session.get(Event, event_id).kind == "deadline_reminder"
    assert proposal.id not in marked


def test_the_sweep_emails_are_the_template_rendered_whole(assigned, people):
    """DeadlineEmails renders deadline.txt once per language, department and
    level and fills in each proposal's fields: the emails are exactly what
    rendering the template for each proposal and recipient gives, with a
    title full of format characters."""
    proposal, lead = assigned
    proposal.title = "100% {{ 協働 }} & <b>\\1 %(name)s"
    db.session.commit()
    assert _run(date(2026, 5, 12)).fired["overdue"] == 1
    emails = _emails()
    assert len(emails) == 3
    for email in emails:
        escalation = db.session.get(Escalation, int(email.idempotency_key.split(":")[2]))
        user = db.session.scalar(sa.select(User).where(User.email == email.to_address))
        subject, body = render_room_email(
            "deadline", user.locale or "ja", user=user, level=escalation.level.value,
            kind=escalation.deadline_kind.value, due_on=escalation.due_on, department=lead.department,
            link=detail_path(proposal.id), proposal=proposal)
        assert (email.subject, email.body_text, email.locale) == (subject, body, user.locale or "ja")
        assert proposal.title in email.body_text and user.name in email.body_text
