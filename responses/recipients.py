"""Who is told at each rung of the ladders, and the link they get."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from core.extensions import db
from core.models import Department, DepartmentKind, Role, User
from proposals.audiences import recipients
from proposals.models import Assignment, Proposal
from responses.models import DepartmentHead, EscalationLevel, Wait, WaitKind


def _users(*conditions) -> list[User]:
    return db.session.scalars(sa.select(User).where(User.active, *conditions).order_by(User.id)).all()


def window_department_ids() -> list[int]:
    return db.session.scalars(sa.select(Department.id).where(Department.kind == DepartmentKind.TRIAGE)).all()


def recipients_for(assignment: Assignment, level: EscalationLevel) -> list[User]:
    """Who is told at `level` of the assignment's ladder (department_recipients)."""
    return department_recipients(assignment.department_id, level)


def department_recipients(dept: int, level: EscalationLevel) -> list[User]:
    """Reminder: the department. Overdue: its managers and the window's
    staff. Second level: the head of the bureau or ward and the window's
    managers. Nobody on record never means nobody told: each level falls
    back to the next wider circle, and the administrators in the end. The
    same for every assignment of the department: the sweep asks once."""
    staff = _users(User.department_id == dept, User.role.in_([Role.DEPARTMENT_STAFF, Role.DEPARTMENT_MANAGER]))
    managers = [u for u in staff if u.role == Role.DEPARTMENT_MANAGER] or staff
    windows = window_department_ids()
    if level == EscalationLevel.REMINDER:
        people = staff
    elif level == EscalationLevel.OVERDUE:
        people = managers + _users(User.department_id.in_(windows), User.role == Role.WINDOW)
    else:
        heads = db.session.scalars(
            sa.select(User).join(DepartmentHead, DepartmentHead.user_id == User.id)
            .where(DepartmentHead.department_id == dept, User.active)
        ).all()
        people = list(heads) or managers
        people += _users(User.department_id.in_(windows), User.role == Role.DEPARTMENT_MANAGER)
    return _each_once_or_the_admins(people)


def wait_recipients(wait: Wait, level: EscalationLevel) -> list[User]:
    """The applicant's reminder goes to the applicant (notifications.wait_emails).
    Triage overdue: the window's managers and staff; second level: the
    window's managers and the administrators. The applicant silent: the
    department that asked and the window's staff and managers."""
    if wait.kind == WaitKind.APPLICANT and level == EscalationLevel.REMINDER:
        proposal = db.session.get(Proposal, wait.proposal_id)
        return recipients(proposal, exclude_user_id=None, kind="public_changes")
    windows = window_department_ids()
    window_staff = _users(User.department_id.in_(windows), User.role == Role.WINDOW)
    window_managers = _users(User.department_id.in_(windows), User.role == Role.DEPARTMENT_MANAGER)
    if wait.kind == WaitKind.TRIAGE:
        people = window_managers + window_staff if level == EscalationLevel.OVERDUE else \
            window_managers + _users(User.role == Role.ADMIN)
    else:
        department = _users(User.department_id == wait.department_id,
                            User.role.in_([Role.DEPARTMENT_STAFF, Role.DEPARTMENT_MANAGER])) \
            if wait.department_id else []
        people = department + window_staff + window_managers
    return _each_once_or_the_admins(people)


def _each_once_or_the_admins(people: list[User]) -> list[User]:
    """Each person once, in order; nobody on record means the administrators,
    so an escalation never goes to no one."""
    if not people:
        people = _users(User.role == Role.ADMIN)
    unique: dict[int, User] = {}
    for person in people:
        unique.setdefault(person.id, person)
    return list(unique.values())


def detail_path(proposal_id: int) -> str:
    """The department's page for the proposal; works outside a request too."""
    return current_app.url_map.bind("localhost").build("responses.detail", {"proposal_id": proposal_id})
