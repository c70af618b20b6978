"""The city's business calendar, in Asia/Tokyo.

A business day is a weekday that is not a Japanese public holidays (from
the `holidays` package, which includes 振替休日 and 国民の休日), not one of
the city's closing days 12/29-1/3, and not an extra closed day an
administrator added (core.models.ClosedDay).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from core.clock import clock
from core.extensions import db
from core.models import ClosedDay

TOKYO = ZoneInfo("Asia/Tokyo")


def to_local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(TOKYO)


def local_today(now: datetime | None = None) -> date:
    return to_local(now or clock.now()).date()


def fiscal_year_of(day: date) -> int:
    """Japanese fiscal year: April to March (FY2026 = 2026-04-01 … 2027-03-31)."""
    return day.year if day.month >= 4 else day.year - 1


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holiday_class_for_japan()(years=year).keys())


@lru_cache(maxsize=1)
def holiday_class_for_japan() -> Callable[..., dict[date, str]]:
    """The `holidays` package's Japan, loaded from its own module alone when a deadline is first counted.
    The usual ways in (`holidays.country_holidays("JP")`, `from holidays.countries.japan import Japan`) run
    holidays/countries/__init__.py first, which imports all ~250 countries: ~45 ms of every `flask deadlines
    sweep`, for one of them (issue 16). The same module's code, so the same dates as country_holidays("JP")
    (tests/test_business_calendar.py); should a new version move the module, country_holidays it is again."""
    import holidays  # the package itself: base classes and calendars; its registry of countries loads lazily

    countries = importlib.util.find_spec("holidays.countries")  # found, not imported
    module_file = Path(countries.submodule_search_locations[0]) / "japan.py" if countries else None
    if module_file is None or not module_file.is_file():
        return lambda years: holidays.country_holidays("JP", years=years)
    spec = importlib.util.spec_from_file_location("holidays.countries.japan", module_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Japan


def is_year_end_closing(day: date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


class BusinessCalendar:
    def __init__(self, extra_closed_days: frozenset[date] | set[date] = frozenset()):
        self.extra_closed_days = frozenset(extra_closed_days)

    @classmethod
    def from_database(cls) -> "BusinessCalendar":
        days = db.session.scalars(db.select(ClosedDay.day)).all()
        return cls(set(days))

    def is_business_day(self, day: date) -> bool:
        return not (
            day.weekday() >= 5
            or day in _public_holidays(day.year)
            or is_year_end_closing(day)
            or day in self.extra_closed_days
        )

    def add_business_days(self, start: date, count: int) -> date:
        """The business day that is `count` business days after `start`
        (start itself does not count, as in 「5開庁日以内」)."""
        day = start
        remaining = count
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                remaining -= 1
        return day

    def subtract_business_days(self, end: date, count: int) -> date:
        """The day from which `count` business days remain until `end`
        (`end` itself counts when it is a business day)."""
        day = end
        remaining = count
        while remaining > 0:
            if self.is_business_day(day):
                remaining -= 1
            day -= timedelta(days=1)
        return day

    def business_days_before(self, end: date, count: int) -> date:
        """The business day that is `count` business days before `end`
        (`end` itself does not count): add_business_days backwards."""
        day = end
        remaining = count
        while remaining > 0:
            day -= timedelta(days=1)
            if self.is_business_day(day):
                remaining -= 1
        return day

    def previous_business_day(self, day: date) -> date:
        """The last business day before `day`."""
        return self.business_days_before(day, 1)

    def business_days_between(self, start: date, end: date) -> int:
        """Business days after `start` up to and including `end`: the weekdays, counted by whole
        weeks, less the closed weekdays (holidays, year end, the city's closed days) in between.
        Not day by day: the dashboard asks this of assignments years overdue (1,000 of them took
        1.7 s of Python one day at a time)."""
        if end <= start:
            return 0
        weeks, rest = divmod((end - start).days, 7)
        first = start.weekday() + 1  # the weekday of the day after start, 0 = Monday
        weekdays = weeks * 5 + sum(1 for n in range(rest) if (first + n) % 7 < 5)
        closed = set(self.extra_closed_days)
        for year in range(start.year, end.year + 1):
            closed |= _public_holidays(year)
            closed.update((date(year, 1, 1), date(year, 1, 2), date(year, 1, 3),
                           date(year, 12, 29), date(year, 12, 30), date(year, 12, 31)))
        return weekdays - sum(1 for day in closed if start < day <= end and day.weekday() < 5)
