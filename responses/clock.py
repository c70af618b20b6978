"""The deadlines' clock (the kernel's, core/clock.py, which tests, the simulation and the demo may set),
and the states in which a department's clock runs or stands still."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from core.calendar import TOKYO, to_local
from core.clock import clock as kernel_clock
from proposals.models import State
from responses.models import WaitKind

# The clock runs in these states; other open states pause it.
RUNNING_STATES = frozenset({State.ASSIGNED, State.IN_CONSULTATION})
PAUSED_STATES = frozenset({State.INFO_REQUESTED, State.TRIAGE})
# Waiting on someone other than a department: the window, or the applicant.
WAIT_KIND_OF = {State.SUBMITTED: WaitKind.TRIAGE, State.TRIAGE: WaitKind.TRIAGE,
                State.INFO_REQUESTED: WaitKind.APPLICANT}


# One clock for the whole application: the kernel's (core/clock.py), which
# utcnow() and every stamp follow. Kept under this name for the deadline code.
clock = kernel_clock


def tokyo_moment(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A moment on a Tokyo calendar day, in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO).astimezone(UTC)


def due_at_end_of(day: date) -> datetime:
    return tokyo_moment(day + timedelta(days=1), 0)


def local(moment: datetime | None) -> datetime | None:
    return to_local(moment) if moment else None
