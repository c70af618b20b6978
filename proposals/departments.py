"""Merging and retiring a department (core/departments.py renames): open
assignments move to the department that takes over, so no proposal is left
without a lead."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from core.audit import Actor, record_event
from core.calendar import local_today
from core.columns import utcnow
from core.departments import ReorganisationError, close_current_name
from core.extensions import db
from core.models import Department, Theme, User
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, Proposal


def retire_department(department: Department, actor: Actor, effective: date | None = None) -> None:
    if _open_assignment_count(department) and department.merged_into_id is None:
        raise ReorganisationError("open assignments remain: merge the department into another one instead")
    day = effective or local_today()
    department.active = False
    department.retired_on = day
    close_current_name(department, day)
    db.session.flush()
    record_event(actor, "department_retired", department_id=department.id, data={"code": department.code})


def merge_department(source: Department, target: Department, actor: Actor, effective: date | None = None) -> dict:
    """Open work, staff and theme ownership move to `target`; finished work
    keeps pointing at `source`, whose row and names stay for history."""
    if source.id == target.id or not target.active:
        raise ReorganisationError("merge into a different, active department")
    moved = _move_open_assignments(source, target)
    db.session.execute(sa.update(User).where(User.department_id == source.id).values(department_id=target.id))
    db.session.execute(sa.update(Theme).where(Theme.owner_id == source.id).values(owner_id=target.id))
    source.merged_into_id = target.id
    db.session.flush()
    retire_department(source, actor, effective)
    summary = {"code": source.code, "into": target.code, "assignments": [a.id for a in moved["moved"]],
               "closed_as_duplicates": [a.id for a in moved["closed"]],
               "promoted_to_lead": [a.id for a in moved["promoted"]]}
    record_event(actor, "department_merged", department_id=source.id, data=summary)
    return summary


def _move_open_assignments(source: Department, target: Department) -> dict:
    """Hand the source's live assignments to the target. Where the target
    already holds the proposal, the source's row is closed and, if it was the
    lead, the target's row becomes the lead, so no proposal is left without one."""
    live = Assignment.status == AssignmentStatus.ACTIVE
    source_rows = db.session.scalars(sa.select(Assignment).where(Assignment.department_id == source.id, live)).all()
    target_rows = {a.proposal_id: a for a in db.session.scalars(
        sa.select(Assignment).where(Assignment.department_id == target.id, live))}
    result: dict[str, list] = {"moved": [], "closed": [], "promoted": []}
    for assignment in source_rows:
        held = target_rows.get(assignment.proposal_id)
        if held is None:
            assignment.department_id = target.id
            result["moved"].append(assignment)
            continue
        assignment.status = AssignmentStatus.CLOSED
        assignment.closed_at = utcnow()
        result["closed"].append(assignment)
        if assignment.role == AssignmentRole.LEAD:
            result["promoted"].append(held)
    # The one-live-lead index is checked row by row: close first, promote after.
    db.session.flush()
    for held in result["promoted"]:
        held.role = AssignmentRole.LEAD
    proposal_ids = [a.proposal_id for a in source_rows]
    if proposal_ids:
        db.session.execute(sa.update(Proposal).where(Proposal.id.in_(proposal_ids),
                                                     Proposal.lead_department_id == source.id)
                           .values(lead_department_id=target.id))
    db.session.flush()
    return result


def _open_assignment_count(department: Department) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(Assignment.department_id == department.id,
                                         Assignment.status == AssignmentStatus.ACTIVE)
    )
