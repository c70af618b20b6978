"""The deadlines' clock: the time (which tests and the simulation may set),
and the states in which a department's clock runs or stands still."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from core.calendar import TOKYO, to_local
from core.models import utcnow
from proposals.models import State
from responses.models import WaitKind

# The clock runs in these states; other open states pause it.
RUNNING_STATES = frozenset({State.ASSIGNED, State.IN_CONSULTATION})
PAUSED_STATES = frozenset({State.INFO_REQUESTED, State.TRIAGE})
# Waiting on someone other than a department: the window, or the applicant.
WAIT_KIND_OF = {State.SUBMITTED: WaitKind.TRIAGE, State.TRIAGE: WaitKind.TRIAGE,
                State.INFO_REQUESTED: WaitKind.APPLICANT}


class _Clock:
    """utcnow(), unless a test or the simulation has set the time."""

    def __init__(self):
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen or utcnow()

    @contextlib.contextmanager
    def frozen(self, moment: datetime) -> Iterator[None]:
        previous, self._frozen = self._frozen, _aware(moment)
        try:
            yield
        finally:
            self._frozen = previous

    def set(self, moment: datetime | None) -> None:
        self._frozen = _aware(moment) if moment else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


clock = _Clock()


def tokyo_moment(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A moment on a Tokyo calendar day, in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO).astimezone(UTC)


def due_at_end_of(day: date) -> datetime:
    return tokyo_moment(day + timedelta(days=1), 0)


def local(moment: datetime | None) -> datetime | None:
    return to_local(moment) if moment else None
