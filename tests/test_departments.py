"""Reorganisation keeps history: rename, merge and retire departments."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from conftest import department_id

from core.audit import Actor
from core.departments import ReorganisationError, name_on, rename_department
from core.extensions import db
from core.models import Department, Event, Theme, User
from proposals import operations
from proposals.departments import merge_department, retire_department
from proposals.models import Assignment, AssignmentStatus, State


def _dept(code: str) -> Department:
    return db.session.scalar(sa.select(Department).where(Department.code == code))


def test_rename_keeps_the_old_name_for_history(make_user):
    admin = Actor.of_user(make_user("admin"))
    dept = _dept("shimin-bunka")
    rename_department(dept, "市民文化観光局", "Citizens, Culture and Tourism Bureau", admin, effective=date(2027, 4, 1))
    db.session.commit()
    assert dept.name_ja == "市民文化観光局"
    assert name_on(dept, date(2026, 5, 1)) == "市民文化局"
    assert name_on(dept, date(2027, 5, 1)) == "市民文化観光局"
    event = db.session.scalar(sa.select(Event).where(Event.kind == "department_renamed"))
    assert event.actor_user_id == admin.user.id and event.data["from"]["ja"] == "市民文化局"


def test_merge_moves_open_work_staff_and_themes_but_not_finished_work(make_user, make_proposal):
    window = Actor.of_user(make_user("window"))
    admin = Actor.of_user(make_user("admin"))
    staff = make_user("department_staff", "kankyo")
    open_proposal = make_proposal(themes=("environment",))
    finished = make_proposal(themes=("environment",))
    kankyo = department_id("kankyo")
    operations.assign(open_proposal, kankyo, [], window)
    operations.assign(finished, kankyo, [], window)
    operations.transition(finished, State.NOT_ADOPTED, Actor.of_user(staff), comment="予算がないため")
    db.session.commit()

    summary = merge_department(_dept("kankyo"), _dept("machizukuri"), admin)
    db.session.commit()

    open_assignment = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == open_proposal.id))
    closed_assignment = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == finished.id))
    assert open_assignment.department.code == "machizukuri" and open_assignment.status == AssignmentStatus.ACTIVE
    assert closed_assignment.department.code == "kankyo"  # history keeps who handled it
    assert db.session.get(User, staff.id).department.code == "machizukuri"
    assert db.session.scalar(sa.select(Theme).where(Theme.code == "environment")).owner.code == "machizukuri"
    kankyo_row = _dept("kankyo")
    assert not kankyo_row.active and kankyo_row.merged_into.code == "machizukuri"
    assert summary["assignments"] == [open_assignment.id]
    assert db.session.get(type(open_proposal), open_proposal.id).lead_department_id == department_id("machizukuri")
    assert db.session.get(type(finished), finished.id).lead_department_id == kankyo


def test_merge_keeps_one_lead_where_the_target_was_already_co(make_user, make_proposal):
    window = Actor.of_user(make_user("window"))
    admin = Actor.of_user(make_user("admin"))
    proposal = make_proposal(themes=("environment",))
    kankyo, machizukuri = department_id("kankyo"), department_id("machizukuri")
    operations.assign(proposal, kankyo, [machizukuri], window)
    db.session.commit()

    summary = merge_department(_dept("kankyo"), _dept("machizukuri"), admin)
    db.session.commit()

    live = db.session.scalars(sa.select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                          Assignment.status == AssignmentStatus.ACTIVE)).all()
    assert [(a.department_id, a.role.value) for a in live] == [(machizukuri, "lead")]
    closed = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                           Assignment.department_id == kankyo))
    assert closed.status == AssignmentStatus.CLOSED and closed.closed_at is not None
    assert db.session.get(type(proposal), proposal.id).lead_department_id == machizukuri
    assert summary["closed_as_duplicates"] == [closed.id] and summary["promoted_to_lead"] == [live[0].id]


def test_retire_with_open_work_is_refused(make_user, make_proposal):
    window = Actor.of_user(make_user("window"))
    operations.assign(make_proposal(), department_id("kotsu"), [], window)
    db.session.commit()
    with pytest.raises(ReorganisationError):
        retire_department(_dept("kotsu"), window)


def test_admin_pages_rename_a_department(client, make_user):
    admin = make_user("admin", password="admin password")
    client.post("/staff/login", data={"email": admin.email, "password": "admin password"})
    assert "市民文化局" in client.get("/admin/departments").get_data(as_text=True)
    response = client.post("/admin/departments/shimin-bunka", data={
        "action": "rename", "rename-name_ja": "市民文化観光局", "rename-name_en": "Citizens and Tourism Bureau"})
    assert response.status_code == 302
    assert _dept("shimin-bunka").name_ja == "市民文化観光局"
    empty = client.post("/admin/departments/shimin-bunka", data={"action": "rename", "rename-name_ja": "",
                                                                 "rename-name_en": "x"})
    assert "日本語の名称を入力してください" in empty.get_data(as_text=True)


def test_audit_log_lists_who_did_what_and_filters(client, make_user, make_proposal):
    admin = make_user("admin", password="admin password")
    proposal = make_proposal()
    client.post("/staff/login", data={"email": admin.email, "password": "admin password"})
    page = client.get("/admin/audit").get_data(as_text=True)
    from proposals.lifecycle import STATE_LABELS

    assert "状態の変更" in page and "state_changed</" not in page and proposal.created_by.email in page
    filtered = client.get(f"/admin/audit?actor_kind=system&reference={proposal.reference}").get_data(as_text=True)
    submitted, triage, draft = (str(STATE_LABELS[s]) for s in ("submitted", "triage", "draft"))
    assert f"{submitted} → {triage}" in filtered and f"{draft} → {submitted}" not in filtered
    assert client.get("/admin/audit?page=abc&actor_kind=nonsense").status_code == 200  # bad input is ignored
