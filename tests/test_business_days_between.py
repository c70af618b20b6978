"""BusinessCalendar.business_days_between counts by whole weeks less the closed
weekdays: it must agree with counting one day at a time, across weekends, public
holidays, the year-end closing and the city's own closed days."""

import random
from datetime import date, timedelta

from core.calendar import BusinessCalendar


def _one_day_at_a_time(cal: BusinessCalendar, start: date, end: date) -> int:
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        days += cal.is_business_day(day)
    return days


def test_business_days_between_agrees_with_counting_each_day():
    cal = BusinessCalendar({date(2026, 6, 1), date(2025, 12, 28), date(2027, 1, 4), date(2026, 5, 3)})
    rng = random.Random(16)
    for _ in range(3000):
        start = date(2023, 1, 1) + timedelta(days=rng.randrange(1800))
        end = start + timedelta(days=rng.randrange(-20, 1500))
        assert cal.business_days_between(start, end) == _one_day_at_a_time(cal, start, end), (start, end)
