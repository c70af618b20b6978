"""Business-day deadlines with a frozen clock: Golden Week, the 振替休日 on
2026-05-06, the 国民の休日 on 2026-09-22, the year-end closing, closed days
added by an administrator, and the pause while the applicant owes an answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import department_id

from core.audit import Actor
from core.calendar import BusinessCalendar
from core.extensions import db
from core.models import ClosedDay
from proposals import operations
from proposals.models import Assignment, AssignmentRole, State
from responses import operations as answers
from responses.clock import clock, tokyo_moment
from responses.models import EscalationLevel
from responses.sweep import deadline_rungs, levels_due


@pytest.fixture
def assign_on(make_user, make_proposal):
    """Assign a fresh proposal (lead: 宮前区役所, co: 健康福祉局) at 10:00 Tokyo on `day`."""
    window = Actor.of_user(make_user("window"))

    def factory(day: date, hour: int = 10, **proposal_fields):
        proposal = make_proposal(**proposal_fields)
        with clock.frozen(tokyo_moment(day, hour)):
            operations.assign(proposal, department_id("ward-miyamae"), [department_id("kenko-fukushi")], window)
            db.session.commit()
        lead = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                             Assignment.role == AssignmentRole.LEAD))
        return proposal, lead

    return factory


def test_golden_week_is_skipped(assign_on):
    # Tue 4/28; 4/29 昭和の日; 5/2–5/6 weekend, holidays and the 振替休日.
    _, lead = assign_on(date(2026, 4, 28))
    assert lead.ack_due_on == date(2026, 5, 11)  # 4/30, 5/1, 5/7, 5/8, 5/11
    assert lead.answer_due_on == date(2026, 6, 1)


def test_substitute_holiday_on_may_6_is_not_a_business_day(assign_on):
    assert not BusinessCalendar().is_business_day(date(2026, 5, 6))
    _, lead = assign_on(date(2026, 5, 1))
    assert lead.ack_due_on == date(2026, 5, 13)  # 5/7, 5/8, 5/11, 5/12, 5/13


def test_citizens_holiday_on_september_22(assign_on):
    assert not BusinessCalendar().is_business_day(date(2026, 9, 22))
    _, lead = assign_on(date(2026, 9, 18))  # Fri; 9/21 敬老の日, 9/22 国民の休日, 9/23 秋分の日
    assert lead.ack_due_on == date(2026, 9, 30)  # 9/24, 9/25, 9/28, 9/29, 9/30


def test_year_end_closing_and_coming_of_age_day(assign_on):
    _, lead = assign_on(date(2026, 12, 25))  # Fri; 12/29–1/3 closed; 2027-01-11 成人の日
    assert lead.ack_due_on == date(2027, 1, 7)  # 12/28, 1/4, 1/5, 1/6, 1/7
    assert lead.answer_due_on == date(2027, 1, 29)


def test_the_day_counts_in_tokyo_not_utc(make_user, make_proposal):
    proposal = make_proposal()
    # 2026-04-27 16:00 UTC is already Tuesday 4/28 01:00 in Tokyo.
    with clock.frozen(datetime(2026, 4, 27, 16, 0, tzinfo=UTC)):
        operations.assign(proposal, department_id("ward-miyamae"), [], Actor.of_user(make_user("window")))
        db.session.commit()
    lead = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id))
    assert lead.ack_due_on == date(2026, 5, 11)


def test_per_department_settings_override_the_defaults(app, assign_on):
    from core.models import Department

    dept = db.session.get(Department, department_id("ward-miyamae"))
    dept.ack_business_days, dept.answer_business_days = 2, 10
    db.session.commit()
    _, lead = assign_on(date(2026, 9, 18))
    assert lead.ack_due_on == date(2026, 9, 25)
    assert lead.answer_due_on == date(2026, 10, 7)
    co = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == lead.proposal_id,
                                                       Assignment.role == AssignmentRole.CO))
    assert co.ack_due_on == date(2026, 9, 30)  # the co-department keeps the city default


def test_closed_day_added_by_an_administrator_counts(assign_on):
    db.session.add(ClosedDay(day=date(2026, 9, 24), reason="システム更新"))
    db.session.commit()
    _, lead = assign_on(date(2026, 9, 18))
    assert lead.ack_due_on == date(2026, 10, 1)


def test_adding_a_closed_day_moves_open_deadlines(app, client, make_user, assign_on):
    _, lead = assign_on(date(2026, 9, 18))
    admin = make_user("admin", password="pw-admin-123456")
    client.post("/staff/login", data={"email": admin.email, "password": "pw-admin-123456"})
    with clock.frozen(tokyo_moment(date(2026, 9, 18), 15)):
        response = client.post("/admin/deadlines/", data={"action": "add", "closed-day": "2026-09-28",
                                                         "closed-reason": "庁舎停電"})
    assert response.status_code == 302
    db.session.expire_all()
    lead = db.session.get(Assignment, lead.id)
    assert lead.ack_due_on == date(2026, 10, 1)
    with clock.frozen(tokyo_moment(date(2026, 9, 18), 16)):
        client.post("/admin/deadlines/", data={"action": "remove", "day": "2026-09-28"})
    db.session.expire_all()
    assert db.session.get(Assignment, lead.id).ack_due_on == date(2026, 9, 30)


def test_removing_a_closed_day_brings_a_monday_deadline_back_to_friday(app, assign_on):
    from responses.deadlines import shift_for_closed_day

    db.session.add(ClosedDay(day=date(2026, 9, 29), reason="臨時"))
    db.session.commit()
    _, lead = assign_on(date(2026, 9, 18))
    assert lead.ack_due_on == date(2026, 10, 1)  # 9/24, 9/25, 9/28, (9/29 closed), 9/30, 10/1
    db.session.delete(db.session.get(ClosedDay, date(2026, 9, 29)))
    db.session.flush()
    shift_for_closed_day(date(2026, 9, 29), False, tokyo_moment(date(2026, 9, 18), 12))
    assert lead.ack_due_on == date(2026, 9, 30)
    lead.ack_due_on = date(2026, 10, 5)  # a Monday
    shift_for_closed_day(date(2026, 10, 5), False, tokyo_moment(date(2026, 9, 18), 12))
    assert lead.ack_due_on == date(2026, 10, 2)  # the Friday before, not Sunday


def test_information_request_pauses_the_clock_and_the_reply_extends_it(make_user, assign_on):
    proposal, lead = assign_on(date(2026, 9, 14))  # Mon
    assert lead.ack_due_on == date(2026, 9, 24)
    answer_due = lead.answer_due_on
    staff = Actor.of_user(make_user("department_staff", "ward-miyamae"))
    with clock.frozen(tokyo_moment(date(2026, 9, 15), 11)):
        answers.request_information(lead, staff, "参加者の人数を教えてください。")
        db.session.commit()
    assert db.session.get(Assignment, lead.id).paused_since is not None
    co = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                       Assignment.role == AssignmentRole.CO))
    assert co.paused_since is not None  # the co-department's clock stops too
    applicant = Actor.of_user(proposal.created_by)
    with clock.frozen(tokyo_moment(date(2026, 9, 25), 9)):  # Fri, after the three holidays
        operations.answer_info_request(proposal, applicant, "20人ほどです。")
        db.session.commit()
    db.session.expire_all()
    lead = db.session.get(Assignment, lead.id)
    assert lead.paused_since is None
    assert lead.acknowledged_at is not None  # asking a question acknowledges
    # Paused 9/15 → 9/25: 9/16, 9/17, 9/18, 9/24, 9/25 = five business days.
    cal = BusinessCalendar()
    assert lead.answer_due_on == cal.add_business_days(answer_due, 5)
    co = db.session.get(Assignment, co.id)
    assert co.ack_due_on == date(2026, 10, 1)  # 9/24 + 5 business days
    assert db.session.get(type(proposal), proposal.id).state == State.ASSIGNED
    # The time the clock stood still is kept, for response times that count the department's time only:
    # 9/15 11:00 → 9/25 09:00 in Tokyo. The lead had acknowledged (by asking), the co-department had not.
    stood_still = int(timedelta(days=9, hours=22).total_seconds())
    assert (lead.ack_paused_seconds, lead.answer_paused_seconds) == (0, stood_still)
    assert (co.ack_paused_seconds, co.answer_paused_seconds) == (stood_still, stood_still)


def test_levels_of_the_ladder():
    cal = BusinessCalendar()
    due = date(2026, 5, 11)
    assert cal.subtract_business_days(due, 2) == date(2026, 5, 7)
    assert levels_due(due, date(2026, 5, 1), cal) == []
    assert levels_due(due, date(2026, 5, 6), cal) == []  # 5/7, 5/8, 5/11 still ahead
    assert levels_due(due, date(2026, 5, 7), cal) == [EscalationLevel.REMINDER]
    assert levels_due(due, date(2026, 5, 11), cal) == [EscalationLevel.REMINDER]
    assert levels_due(due, date(2026, 5, 12), cal) == [EscalationLevel.OVERDUE]
    assert levels_due(due, date(2026, 5, 18), cal) == [EscalationLevel.OVERDUE]
    assert levels_due(due, date(2026, 5, 19), cal) == [EscalationLevel.OVERDUE, EscalationLevel.SECOND]


@pytest.mark.parametrize("first_day", [date(2026, 4, 20), date(2026, 12, 20)])  # Golden Week, the year end
def test_the_sweeps_rungs_fire_exactly_the_levels_due(first_day):
    """The set-based sweep fires each rung for a range of due dates (deadline_rungs); for every
    day and every due date around it the ranges give the levels levels_due gives, no more, no fewer."""
    cal = BusinessCalendar()
    for today in (first_day + timedelta(days=n) for n in range(30)):
        rungs = deadline_rungs(today, cal)
        for due in (today + timedelta(days=n) for n in range(-25, 25)):
            fired = {rung.level for rung in rungs if (rung.first is None or rung.first <= due) and due <= rung.last}
            assert fired == set(levels_due(due, today, cal)), (today, due)


@pytest.fixture(autouse=True)
def _app_context_levels(app):
    """levels_due reads the settings from the app config."""
    with app.app_context():
        yield
