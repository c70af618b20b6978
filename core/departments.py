"""Reorganisation: departments are renamed, merged and retired (the city
reorganises most Aprils) without losing the history of what they handled.
Codes never change; past names stay in department_names. Merging and
retiring move or check the proposals' assignments: proposals/departments.py."""

from __future__ import annotations

from datetime import date

from core.audit import Actor, record_event
from core.calendar import local_today
from core.extensions import db
from core.models import Department, DepartmentName


class ReorganisationError(Exception):
    pass


def close_current_name(department: Department, day: date) -> None:
    for name in department.names:
        if name.valid_to is None:
            name.valid_to = day


def rename_department(department: Department, name_ja: str, name_en: str, actor: Actor,
                      effective: date | None = None) -> None:
    day = effective or local_today()
    old = {"ja": department.name_ja, "en": department.name_en}
    close_current_name(department, day)
    department.names.append(DepartmentName(name_ja=name_ja, name_en=name_en, valid_from=day))
    department.name_ja, department.name_en = name_ja, name_en
    db.session.flush()
    record_event(actor, "department_renamed", department_id=department.id,
                 data={"code": department.code, "from": old, "to": {"ja": name_ja, "en": name_en}})


def name_on(department: Department, day: date, locale: str = "ja") -> str:
    """The department's name as it was on `day`."""
    for name in department.names:
        if name.valid_from <= day and (name.valid_to is None or day < name.valid_to):
            return name.name_en if locale == "en" else name.name_ja
    return department.name(locale)
