"""Menu entries that rooms register, so base.html needs no edits per room."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user


# audience: "all", "public" (everyone but staff: staff do not submit proposals), "applicant"
# (signed-in applicants), "signed_in", "staff", "window" (and admin), "department", "admin"
def add_nav(app: Flask, endpoint: str, label, audience: str = "all", order: int = 50) -> None:
    app.extensions.setdefault("nav", []).append((order, endpoint, label, audience))


def add_admin_link(app: Flask, endpoint: str, label) -> None:
    app.extensions.setdefault("admin_links", []).append((endpoint, label))


def _visible(audience: str) -> bool:
    if audience == "all":
        return True
    if audience == "public":
        return not (current_user.is_authenticated and current_user.is_staff)
    if not current_user.is_authenticated:
        return False
    if audience == "signed_in":
        return True
    if audience == "applicant":
        return not current_user.is_staff
    if audience == "staff":
        return current_user.is_staff
    if audience == "window":
        return current_user.is_window
    if audience == "department":
        return current_user.is_staff and current_user.department_id is not None
    if audience == "admin":
        return current_user.is_admin
    return False


STAFF_AUDIENCES = frozenset({"staff", "window", "department", "admin"})


def nav_items(app: Flask, staff: bool = False) -> list[tuple[str, object]]:
    """The public menu (everyone's entries), or with staff=True the staff
    toolbar, so staff pages do not crowd the menu the public sees."""
    entries = sorted(app.extensions.get("nav", []), key=lambda e: e[0])
    return [(endpoint, label) for _, endpoint, label, audience in entries
            if (audience in STAFF_AUDIENCES) == staff and _visible(audience)]
