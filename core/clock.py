"""The kernel's clock: the time every stamp follows (core.columns.utcnow,
hence events, assignments and due dates), unless someone set it.

Tests and the deadline simulation freeze it to a moment; the demo replays
each past proposal's history at its own dates through the rooms' real
operations (demo/public_history.py). Outside those, it is the wall clock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime


class Clock:
    def __init__(self):
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen or datetime.now(UTC)

    @contextlib.contextmanager
    def frozen(self, moment: datetime) -> Iterator[None]:
        """The time stands at `moment` inside the block (nests; restored after)."""
        previous, self._frozen = self._frozen, _aware(moment)
        try:
            yield
        finally:
            self._frozen = previous

    def set(self, moment: datetime | None) -> None:
        self._frozen = _aware(moment) if moment else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


clock = Clock()


def now() -> datetime:
    return clock.now()


def frozen_at(moment: datetime):
    """Context manager: the kernel's time is `moment` inside the block."""
    return clock.frozen(moment)
