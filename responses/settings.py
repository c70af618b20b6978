"""The deadline settings (city-wide in core.config, per department on
Department) and the business calendar with the administrator's closed days."""

from __future__ import annotations

from flask import current_app

from core.calendar import BusinessCalendar
from core.config import DEADLINE_DEFAULTS
from core.extensions import db
from core.models import Department


def setting(name: str) -> int:
    """A city-wide deadline setting (core.config.DEADLINE_DEFAULTS, from the environment)."""
    return int(current_app.config.get(name, DEADLINE_DEFAULTS[name]))


def ack_days(department: Department) -> int:
    return department.ack_business_days or setting("DEADLINE_ACK_BUSINESS_DAYS")


def answer_days(department: Department) -> int:
    return department.answer_business_days or setting("DEADLINE_ANSWER_BUSINESS_DAYS")


def calendar() -> BusinessCalendar:
    """The calendar with the administrator's closed days (cached per transaction)."""
    cached = db.session.info.get("business_calendar")
    if cached is None:
        cached = db.session.info["business_calendar"] = BusinessCalendar.from_database()
    return cached


def forget_calendar() -> None:
    db.session.info.pop("business_calendar", None)
