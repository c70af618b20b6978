"""The responses room's settings change only through operations
(responses.admin_operations), each writing an audit event that names the
person who made the change: answer templates, closed days, a department's
own deadlines and the heads of bureaus and wards."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from conftest import department_id

from core.extensions import db
from core.models import ClosedDay, Department, Event
from responses.clock import clock, tokyo_moment
from responses.models import AnswerTemplate, DepartmentHead

PASSWORD = "pw-settings-2026"


def login(app, user):
    client = app.test_client()
    assert client.post("/staff/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def events(kind: str) -> list[Event]:
    return db.session.scalars(sa.select(Event).where(Event.kind == kind).order_by(Event.id)).all()


@pytest.fixture
def admin(app, make_user):
    user = make_user("admin", password=PASSWORD)
    return user, login(app, user)


def test_answer_templates_saved_and_retired_are_audited(app, make_user):
    manager = make_user("department_manager", "ward-miyamae", password=PASSWORD)
    client = login(app, manager)
    assert client.post("/inbox/templates", data={"action": "save", "kind": "request_info", "title": "会場",
                                                  "body": "会場を教えてください。"}).status_code == 302
    template = db.session.scalar(sa.select(AnswerTemplate))
    [saved] = events("answer_template_saved")
    assert saved.actor_user_id == manager.id and saved.department_id == department_id("ward-miyamae")
    assert saved.data == {"template_id": template.id, "kind": "request_info"}
    assert client.post("/inbox/templates", data={"action": "delete", "template_id": template.id}).status_code == 302
    [retired] = events("answer_template_retired")
    assert retired.actor_user_id == manager.id and retired.data == {"template_id": template.id}
    db.session.expire_all()
    assert db.session.get(AnswerTemplate, template.id).active is False


def test_closed_days_added_and_removed_are_audited(admin):
    user, client = admin
    with clock.frozen(tokyo_moment(date(2026, 9, 18), 15)):
        client.post("/admin/deadlines/", data={"action": "add", "closed-day": "2026-09-28",
                                               "closed-reason": "庁舎停電"})
        # The same day again changes nothing and writes nothing.
        client.post("/admin/deadlines/", data={"action": "add", "closed-day": "2026-09-28",
                                               "closed-reason": "二重"})
    [added] = events("closed_day_added")
    assert added.actor_user_id == user.id
    assert added.data == {"day": "2026-09-28", "reason": "庁舎停電", "deadlines_moved": 0}
    with clock.frozen(tokyo_moment(date(2026, 9, 18), 16)):
        client.post("/admin/deadlines/", data={"action": "remove", "day": "2026-09-28"})
    [removed] = events("closed_day_removed")
    assert removed.actor_user_id == user.id and removed.data["day"] == "2026-09-28"
    assert db.session.get(ClosedDay, date(2026, 9, 28)) is None


def test_a_departments_own_deadlines_are_audited(admin):
    user, client = admin
    dept = department_id("kankyo")
    response = client.post("/admin/deadlines/", data={"action": "days", "department_id": dept,
                                                      f"d{dept}-ack_days": "3", f"d{dept}-answer_days": "15"})
    assert response.status_code == 302
    [changed] = events("department_deadlines_changed")
    assert changed.actor_user_id == user.id and changed.department_id == dept
    assert changed.data == {"before": [None, None], "after": [3, 15]}
    db.session.expire_all()
    department = db.session.get(Department, dept)
    assert (department.ack_business_days, department.answer_business_days) == (3, 15)


def test_department_heads_added_and_removed_are_audited(admin, make_user):
    user, client = admin
    head = make_user("department_manager", "ward-miyamae", password=PASSWORD)
    ward = department_id("ward-miyamae")
    client.post("/admin/deadlines/heads", data={"action": "add", "department": ward, "email": head.email})
    client.post("/admin/deadlines/heads", data={"action": "add", "department": ward, "email": head.email})
    [added] = events("department_head_added")
    assert added.actor_user_id == user.id and added.department_id == ward and added.data == {"user_id": head.id}
    client.post("/admin/deadlines/heads", data={"action": "remove", "department_id": ward, "user_id": head.id})
    [removed] = events("department_head_removed")
    assert removed.actor_user_id == user.id and removed.data == {"user_id": head.id}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DepartmentHead)) == 0
