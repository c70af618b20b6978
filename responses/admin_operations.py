"""Changes to the responses room's settings, one operation each: answer
templates, closed days, department deadlines and department heads. Each
takes the actor, flushes (the view commits) and writes an audit event."""

from __future__ import annotations

from datetime import date, datetime

from core.audit import Actor, record_event
from core.extensions import db
from core.models import ClosedDay, Department, User
from responses.deadlines import shift_for_closed_day
from responses.models import AnswerKind, AnswerTemplate, DepartmentHead


def save_answer_template(actor: Actor, department: Department, template: AnswerTemplate | None, *,
                         kind: AnswerKind, title: str, body: str) -> AnswerTemplate:
    """A new template for the department, or `template` edited (and brought back if retired)."""
    row = template or AnswerTemplate(department_id=department.id)
    row.kind, row.title, row.body = kind, title, body
    row.updated_by_id = actor.user.id if actor.user is not None else None
    row.active = True
    db.session.add(row)
    db.session.flush()
    record_event(actor, "answer_template_saved", department_id=department.id,
                 data={"template_id": row.id, "kind": row.kind.value})
    return row


def retire_answer_template(actor: Actor, template: AnswerTemplate) -> None:
    """Retired, not deleted: answers already sent from it keep their history."""
    template.active = False
    db.session.flush()
    record_event(actor, "answer_template_retired", department_id=template.department_id,
                 data={"template_id": template.id})


def add_closed_day(actor: Actor, day: date, reason: str, now: datetime) -> int | None:
    """A closed day; open deadlines whose window contains it move by one
    business day. Returns how many moved, or None when the day was already closed."""
    if db.session.get(ClosedDay, day) is not None:
        return None
    db.session.add(ClosedDay(day=day, reason=reason))
    db.session.flush()
    moved = shift_for_closed_day(day, True, now)
    record_event(actor, "closed_day_added", data={"day": day.isoformat(), "reason": reason, "deadlines_moved": moved})
    return moved


def remove_closed_day(actor: Actor, closed_day: ClosedDay, now: datetime) -> int:
    """The day is a business day again; deadlines it had moved move back. Returns how many moved."""
    day = closed_day.day
    db.session.delete(closed_day)
    db.session.flush()
    moved = shift_for_closed_day(day, False, now)
    record_event(actor, "closed_day_removed", data={"day": day.isoformat(), "deadlines_moved": moved})
    return moved


def set_department_deadlines(actor: Actor, department: Department, ack_days: int | None,
                             answer_days: int | None) -> None:
    """The department's own business days (None: the city-wide setting), for assignments from now on."""
    before = [department.ack_business_days, department.answer_business_days]
    department.ack_business_days, department.answer_business_days = ack_days, answer_days
    db.session.flush()
    record_event(actor, "department_deadlines_changed", department_id=department.id,
                 data={"before": before, "after": [ack_days, answer_days]})


def add_department_head(actor: Actor, department_id: int, user: User) -> bool:
    """The head of a bureau or ward, told at the second level. False when already registered."""
    if db.session.get(DepartmentHead, (department_id, user.id)) is not None:
        return False
    db.session.add(DepartmentHead(department_id=department_id, user_id=user.id))
    db.session.flush()
    record_event(actor, "department_head_added", department_id=department_id, data={"user_id": user.id})
    return True


def remove_department_head(actor: Actor, head: DepartmentHead) -> None:
    record_event(actor, "department_head_removed", department_id=head.department_id, data={"user_id": head.user_id})
    db.session.delete(head)
    db.session.flush()
