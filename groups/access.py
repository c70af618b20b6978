"""Who sees what of a group. The window (its staff, administrators and the
window department's managers) sees and changes everything; a department sees
a group only when it has (or had) an assignment for one of its members, and
then only the members' outline; anyone else gets a 404."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from core.extensions import db
from proposals.group_queries import department_member_ids
from proposals.groups import ProposalGroup


def require_window() -> None:
    if not current_user.is_window_member:
        abort(403)


def load_group(group_id: int) -> ProposalGroup:
    """The group for the window; 404 when there is none."""
    require_window()
    return db.session.get(ProposalGroup, group_id) or abort(404)


def load_group_for_staff(group_id: int) -> tuple[ProposalGroup, set[int] | None]:
    """(group, the member proposals this department may open), None meaning all (the window)."""
    group = db.session.get(ProposalGroup, group_id) or abort(404)
    if current_user.is_window_member:
        return group, None
    own = department_member_ids(group, current_user.department_id)
    if not own:
        abort(404)  # whether the group exists is no business of a department outside it
    return group, own
