"""What the simulation changes in the rooms while it runs: the deliberate breakages
of the deadline code (`flask deadlines simulate --break NAME`). (Its timestamps need
no patch: core.columns.utcnow follows the kernel's clock, core/clock.py, which it sets.)

Each replaces one function of the rooms for the length of a run; the no-dropped-ball oracle
(responses/simulation_oracle.py) must then fail the run. A breakage that does not make the run fail
means the oracle no longer sees that kind of mistake (tests/test_responses_simulation_oracle.py).
"""

from __future__ import annotations

import contextlib
import sys

_ROOMS = ("responses", "core", "proposals", "intake", "routing")


def _current(name: str, home: str):
    """The function called `name` defined under the package or module `home`
    (e.g. responses: wherever the deadline code lives after a split)."""
    for module_name, module in sorted(sys.modules.items()):
        function = getattr(module, name, None)
        if module_name.split(".")[0] in _ROOMS and callable(function) and \
                getattr(function, "__module__", "").startswith(home):
            return function
    raise LookupError(f"no function {name} under {home}")


@contextlib.contextmanager
def _replaced(name: str, home: str, make_replacement):
    """Replace the function `name` in every module that holds it (the module
    defining it and those that imported it), then put it back."""
    original = _current(name, home)
    replacement = make_replacement(original)
    holders = [module for module_name, module in list(sys.modules.items())
               if module_name.split(".")[0] in _ROOMS and getattr(module, name, None) is original]
    for module in holders:
        setattr(module, name, replacement)
    try:
        yield
    finally:
        for module in holders:
            setattr(module, name, original)


def _no_due_dates(original):
    def set_initial_deadlines(assignment, *args, **kwargs):
        original(assignment, *args, **kwargs)
        assignment.ack_due_on = assignment.answer_due_on = None
    return set_initial_deadlines


def _never_resumes(original):
    def resume(*args, **kwargs):
        return 0  # the clock stays stopped: paused_since is never cleared, due dates never move
    return resume


def _skips_overdue(original):
    def deadline_rungs(*args, **kwargs):  # the sweep fires the ladder's rungs as ranges of due dates
        return [rung for rung in original(*args, **kwargs) if rung.level.value != "overdue"]
    return deadline_rungs


def _skips_first_wait_rung(original):
    def wait_levels_due(*args, **kwargs):
        return original(*args, **kwargs)[1:]
    return wait_levels_due


def _told_twice(original):
    def record_events(actor, events):  # the sweep writes a batch's rungs at once
        original(actor, events)
        return original(actor, events)
    return record_events


def _no_holidays(original):
    def public_holidays(*args, **kwargs):
        return frozenset()
    return public_holidays


BREAKAGES = {  # name: (what is broken, (function, where it is defined, how it is broken))
    "no-due-dates": ("set_initial_deadlines sets no due dates",
                     ("set_initial_deadlines", "responses", _no_due_dates)),
    "clock-never-resumes": ("resume never restarts the clock", ("resume", "responses", _never_resumes)),
    "ladder-skips-overdue": ("the departments' ladder skips its overdue rung",
                             ("deadline_rungs", "responses", _skips_overdue)),
    "wait-ladder-skips-first": ("the waits' ladder skips its first rung",
                                ("wait_levels_due", "responses", _skips_first_wait_rung)),
    "escalations-twice": ("every rung of the ladder is announced twice", ("record_events", "core.audit", _told_twice)),
    "holidays-ignored": ("the business calendar ignores public holidays",
                         ("_public_holidays", "core.calendar", _no_holidays)),
}


@contextlib.contextmanager
def broken(name: str):
    _description, (function, home, make_replacement) = BREAKAGES[name]
    with _replaced(function, home, make_replacement):
        yield
