"""How dates, times and sizes read, in one place for every page and email:
one date format per language (Japanese 2026年12月3日, English December 3, 2026,
Babel's "long" date), times in Tokyo time as 14:05, sizes as 1 KB / 1.2 MB.
Registered as the template filters `day`, `moment` and `filesize` (and in place
of Flask-Babel's `dateformat` / `datetimeformat`, so older templates agree)."""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale
from babel.dates import format_date
from flask_babel import get_locale

from core.calendar import to_local

_JAPANESE = Locale("ja")


def _locale() -> Locale:
    # The Locale itself, not its name: Babel would parse the name again for every date on a page.
    return get_locale() or _JAPANESE


def day(value, _format=None) -> str:
    """A date (or the Tokyo date of a moment, or an ISO date string); empty for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = to_local(value).date()
    return format_date(value, "long", locale=_locale())


def moment(value, _format=None) -> str:
    """A moment in Tokyo time: 2026年12月3日 14:05."""
    if value is None:
        return ""
    local = to_local(value)
    return f"{day(local.date())} {local:%H:%M}"


def filesize(size: int | None) -> str:
    """The size of a file, the same for applicants and staff."""
    size = size or 0
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def register(app) -> None:
    for name, function in (("day", day), ("moment", moment), ("filesize", filesize),
                           ("dateformat", day), ("datetimeformat", moment)):
        app.jinja_env.filters[name] = function
