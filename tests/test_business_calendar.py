"""The business calendar's public holidays are the `holidays` package's for Japan, loaded from the Japanese
module alone (core.calendar.holiday_class_for_japan, issue 16): the same dates as country_holidays("JP"),
without importing the package's ~250 other countries."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import holidays

from core.calendar import BusinessCalendar, _public_holidays

ROOT = Path(__file__).resolve().parent.parent


def test_the_holidays_are_the_packages_for_japan_every_year():
    for year in range(1949, 2101):
        assert _public_holidays(year) == frozenset(holidays.country_holidays("JP", years=year)), year


def test_a_substitute_holiday_and_a_citizens_holiday_are_closed():
    cal = BusinessCalendar()
    assert not cal.is_business_day(date(2026, 5, 6))  # 振替休日 for 5/3 (Sunday)
    assert not cal.is_business_day(date(2026, 9, 22))  # 国民の休日 between 9/21 and 9/23
    assert cal.is_business_day(date(2026, 5, 7))


def test_counting_a_deadline_loads_japan_alone():
    script = ("import sys; from core.calendar import _public_holidays; _public_holidays(2026); "
              "print(sorted(m for m in sys.modules if m.startswith('holidays.countries')))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=120).stdout.strip()
    assert out == "[]", f"the sweep imports the package's countries: {out[:200]}"
