"""An independent oracle for "no dropped ball".

It shares no code with the deadline logic: it does not import
responses.deadlines (nor its successors), core.calendar or the models. From
the raw rows — assignments, the proposals' state changes (events), the waits'
escalations, the closed-days table — and its own business calendar (the
`holidays` package, the city's closing 12/29–1/3, the administrator's closed
days) it recomputes every deadline the way docs/deadlines.md states it:

- a department owes an acknowledgement and an answer N business days after
  the day of assignment (the day itself does not count); N from the
  department's override or the settings;
- the clock stops while the proposal is in info_requested or triage and
  restarts when it is back in assigned / in_consultation: each unmet due date
  then moves by the business days after the day it stopped up to and
  including the day it restarted;
- a stay in submitted / triage (the window owes the routing) or in
  info_requested (the applicant owes an answer) is a wait with its own
  allowance and ladder.

Then, sweep by sweep (the simulation sweeps every morning), it derives which
rung of which ladder is due and checks the database: every rung fired exactly
on the first sweep that owed it, exactly once (one row, one event), never a
rung nobody owed (early, or for a due date that should not exist), the due
dates on record agree with the recomputed ones, and no open proposal is held
by nobody. Any finding fails the simulation.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa

TOKYO = ZoneInfo("Asia/Tokyo")
RUNNING = {"assigned", "in_consultation"}
PAUSED = {"info_requested", "triage"}
WAIT_OF = {"submitted": "triage", "triage": "triage", "info_requested": "applicant"}
OPEN = {"submitted", "triage", "assigned", "info_requested", "in_consultation"}

# docs/deadlines.md and README: the defaults, in business days.
DEFAULT_SETTINGS = {
    "DEADLINE_ACK_BUSINESS_DAYS": 5,
    "DEADLINE_ANSWER_BUSINESS_DAYS": 20,
    "DEADLINE_REMINDER_BUSINESS_DAYS": 2,
    "DEADLINE_SECOND_LEVEL_BUSINESS_DAYS": 5,
    "TRIAGE_BUSINESS_DAYS": 2,
    "DEADLINE_APPLICANT_REPLY_BUSINESS_DAYS": 10,
    "DEADLINE_APPLICANT_DECIDE_BUSINESS_DAYS": 5,
}


# --- raw values -------------------------------------------------------------------------------

def _moment(value) -> datetime | None:
    """A timestamp as stored (aware on PostgreSQL, text or naive on SQLite), as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _day(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value if not isinstance(value, datetime) else value.date()


def _tokyo_day(moment: datetime) -> date:
    return moment.astimezone(TOKYO).date()


def _json(value) -> dict:
    if value is None:
        return {}
    return json.loads(value) if isinstance(value, str) else dict(value)


# --- the oracle's own calendar ----------------------------------------------------------------

@lru_cache(maxsize=32)
def _japanese_holidays(year: int) -> frozenset[date]:
    import holidays  # its country tables: loaded when the oracle first counts a day, not at `flask` start-up

    return frozenset(holidays.country_holidays("JP", years=year))


class OracleCalendar:
    def __init__(self, closed_days: set[date]):
        self.closed_days = frozenset(closed_days)
        self._open: dict[date, bool] = {}

    def is_open(self, day: date) -> bool:
        if day not in self._open:
            year_end = (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)
            self._open[day] = not (day.weekday() >= 5 or year_end or day in _japanese_holidays(day.year)
                                   or day in self.closed_days)
        return self._open[day]

    def after(self, start: date, count: int) -> date:
        """The day on which `count` open days after `start` have passed (start not counted)."""
        day = start
        while count > 0:
            day += timedelta(days=1)
            count -= self.is_open(day)
        return day

    def open_days_in(self, start: date, end: date) -> int:
        """Open days after `start` up to and including `end`."""
        return sum(self.is_open(start + timedelta(days=n)) for n in range(1, (end - start).days + 1))

    def reminder_from(self, due: date, count: int) -> date:
        """The reminder runs from the day before the count-th open day, counted back from the due date."""
        day, seen = due, 0
        while True:
            if self.is_open(day):
                seen += 1
                if seen == count:
                    return day - timedelta(days=1)
            day -= timedelta(days=1)


# --- the verdict ------------------------------------------------------------------------------

@dataclass
class Verdict:
    deadlines: int = 0  # (assignment, acknowledgement / answer) pairs recomputed
    waits: int = 0  # stays with the window or the applicant recomputed
    rungs_owed: Counter = field(default_factory=Counter)
    rungs_fired: Counter = field(default_factory=Counter)
    findings: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def failed(self) -> bool:
        return any(self.findings.values())

    def add(self, kind: str, text: str) -> None:
        self.findings[kind].append(text)

    def render(self) -> str:
        lines = [f"oracle (independent of the deadline code): {self.deadlines} deadlines and {self.waits} waits "
                 f"recomputed; rungs owed {sum(self.rungs_owed.values())}, fired {sum(self.rungs_fired.values())}"]
        for kind, texts in sorted(self.findings.items()):
            if texts:
                lines.append(f"  ORACLE {kind}: {len(texts)}")
                lines += [f"    {text}" for text in texts[:5]]
        if not self.failed:
            lines.append("  oracle: every rung owed fired once, on time; nothing dropped")
        return "\n".join(lines)


# --- reading the raw rows ---------------------------------------------------------------------

def _rows(conn, sql: str, **params):
    return conn.execute(sa.text(sql), params).mappings().all()


class _Timeline:
    """One proposal's state changes, in the order they happened."""

    def __init__(self, changes: list[tuple[datetime, int, str | None, str]]):
        self.changes = sorted(changes, key=lambda change: (change[0], change[1]))

    def state_at(self, moment: datetime) -> str | None:
        state = None
        for at, _id, _source, target in self.changes:
            if at > moment:
                break
            state = target
        return state

    def after(self, moment: datetime):
        return [change for change in self.changes if change[0] > moment]


def check(conn, *, first_sweep: date, last_sweep: date, sweep_hour: int = 8,
          settings: dict | None = None) -> Verdict:
    """Recompute every deadline and wait and check the ladders fired on the
    database behind `conn`, which was swept every day from first_sweep to
    last_sweep at sweep_hour (Tokyo)."""
    config = {**DEFAULT_SETTINGS, **(settings or {})}
    verdict = Verdict()
    cal = OracleCalendar({_day(r["day"]) for r in _rows(conn, "SELECT day FROM closed_days")})
    sweeps = [datetime.combine(first_sweep + timedelta(days=n), time(sweep_hour), tzinfo=TOKYO).astimezone(UTC)
              for n in range((last_sweep - first_sweep).days + 1)]
    timelines: dict[int, list] = defaultdict(list)
    for r in _rows(conn, "SELECT id, proposal_id, created_at, from_state, to_state FROM events "
                         "WHERE kind = 'state_changed' AND proposal_id IS NOT NULL"):
        timelines[r["proposal_id"]].append((_moment(r["created_at"]), r["id"], r["from_state"], r["to_state"]))
    timelines = {pid: _Timeline(changes) for pid, changes in timelines.items()}
    _check_departments(conn, verdict, cal, sweeps, timelines, config)
    _check_waits(conn, verdict, cal, sweeps, timelines, config)
    _check_events(conn, verdict)
    _check_holders(conn, verdict)
    return verdict


# --- the departments' deadlines ---------------------------------------------------------------

def _stops(assigned_at: datetime, ends: datetime | None, timeline: _Timeline):
    """(stopped, restarted or None) intervals of the department's clock."""
    running = timeline.state_at(assigned_at) in RUNNING
    stops, stopped = [], None if running else assigned_at
    for at, _id, source, target in timeline.after(assigned_at):
        if ends is not None and at > ends:
            break
        if target in PAUSED and source not in PAUSED and stopped is None:
            stopped = at
        elif target in RUNNING and source not in RUNNING and stopped is not None:
            stops.append((stopped, at))
            stopped = None
    if stopped is not None:
        stops.append((stopped, None))
    return stops


def _due_in_force(first_due: date, stops, met: datetime | None, moment: datetime, cal: OracleCalendar) -> date:
    """The due date at `moment`: the first one, moved by every stop that had
    ended by then while the deadline was still unmet."""
    due = first_due
    for stopped, restarted in stops:
        if restarted is None or restarted > moment:
            break
        if met is None or met > restarted:
            due = cal.after(due, cal.open_days_in(_tokyo_day(stopped), _tokyo_day(restarted)))
    return due


def _ladder(due: date, today: date, cal: OracleCalendar, config: dict) -> list[str]:
    if today > due:
        levels = ["overdue"]
        if today > cal.after(due, config["DEADLINE_SECOND_LEVEL_BUSINESS_DAYS"]):
            levels.append("second")
        return levels
    reminder = config["DEADLINE_REMINDER_BUSINESS_DAYS"]
    if reminder and today >= cal.reminder_from(due, reminder):
        return ["reminder"]
    return []


def _check_departments(conn, verdict, cal, sweeps, timelines, config) -> None:
    departments = {r["id"]: r for r in _rows(conn, "SELECT id, ack_business_days, answer_business_days "
                                                   "FROM departments")}
    fired = {}
    for r in _rows(conn, "SELECT assignment_id, deadline_kind, due_on, level, fired_at FROM escalations"):
        key = (r["assignment_id"], r["deadline_kind"], _day(r["due_on"]), r["level"])
        fired[key] = _tokyo_day(_moment(r["fired_at"]))
        verdict.rungs_fired[f"department/{r['level']}"] += 1
    owed: dict[tuple, date] = {}
    for a in _rows(conn, "SELECT a.id, a.proposal_id, a.department_id, a.status, a.assigned_at, a.acknowledged_at, "
                         "a.answered_at, a.closed_at, a.ack_due_on, a.answer_due_on, p.reference "
                         "FROM assignments a JOIN proposals p ON p.id = a.proposal_id ORDER BY a.id"):
        assigned_at, closed_at = _moment(a["assigned_at"]), _moment(a["closed_at"])
        timeline = timelines.get(a["proposal_id"], _Timeline([]))
        stops = _stops(assigned_at, closed_at, timeline)
        dept = departments[a["department_id"]]
        for kind, days, met, stored in (
            ("ack", dept["ack_business_days"] or config["DEADLINE_ACK_BUSINESS_DAYS"],
             _moment(a["acknowledged_at"]), _day(a["ack_due_on"])),
            ("answer", dept["answer_business_days"] or config["DEADLINE_ANSWER_BUSINESS_DAYS"],
             _moment(a["answered_at"]), _day(a["answer_due_on"])),
        ):
            verdict.deadlines += 1
            first_due = cal.after(_tokyo_day(assigned_at), days)

            def due_at(moment: datetime, first_due=first_due, met=met, stops=stops) -> date:
                return _due_in_force(first_due, stops, met, moment, cal)

            for sweep in sweeps:
                if sweep < assigned_at or (closed_at is not None and closed_at <= sweep):
                    continue
                if met is not None and met <= sweep:
                    break
                if any(stopped <= sweep and (restarted is None or sweep < restarted) for stopped, restarted in stops):
                    continue
                if timeline.state_at(sweep) not in RUNNING:
                    continue
                due = due_at(sweep)
                for level in _ladder(due, _tokyo_day(sweep), cal, config):
                    owed.setdefault((a["id"], kind, due, level), _tokyo_day(sweep))
            final_due = due_at(datetime.max.replace(tzinfo=UTC))
            if a["status"] == "active" and met is None and stored != final_due:
                verdict.add("due date on record disagrees with the recomputed one",
                            f"{a['reference']} assignment {a['id']} {kind}: on record {stored}, "
                            f"recomputed {final_due}")
    _compare_rungs(verdict, "department", owed, fired, lambda key: f"assignment {key[0]} {key[1]} due {key[2]}")


def _compare_rungs(verdict: Verdict, who: str, owed: dict, fired: dict, describe) -> None:
    for key, day in sorted(owed.items(), key=lambda item: (item[1], str(item[0]))):
        level = key[-1]
        verdict.rungs_owed[f"{who}/{level}"] += 1
        if key not in fired:
            kind = "reminder never sent" if who == "department" and level == "reminder" else \
                "DROPPED BALL: past due, nobody told"
            verdict.add(kind, f"{who} {describe(key)}: {level} owed from {day}, never fired")
        elif fired[key] != day:
            verdict.add("rung fired on the wrong day", f"{who} {describe(key)}: {level} owed from {day}, "
                                                       f"fired {fired[key]}")
    for key, day in fired.items():
        if key not in owed:
            verdict.add("rung fired that nobody owed (too early, or for a wrong due date)",
                        f"{who} {describe(key)}: {key[-1]} fired {day}")


# --- waits on the window or the applicant -----------------------------------------------------

def _stays(timeline: _Timeline):
    """(kind, began, ended or None) for each stay with the window or the applicant."""
    stays, current = [], None
    for at, _id, _source, target in timeline.changes:
        kind = WAIT_OF.get(target)
        if current is not None and current[0] != kind:
            stays.append((current[0], current[1], at))
            current = None
        if kind is not None and current is None:
            current = (kind, at)
    if current is not None:
        stays.append((current[0], current[1], None))
    return stays


def _check_waits(conn, verdict, cal, sweeps, timelines, config) -> None:
    waits = {}
    for r in _rows(conn, "SELECT id, proposal_id, kind, started_at FROM proposal_waits"):
        waits[(r["proposal_id"], r["kind"], _moment(r["started_at"]))] = r["id"]
    wait_key = {wait_id: key for key, wait_id in waits.items()}
    fired = {}
    for r in _rows(conn, "SELECT wait_id, level, fired_at FROM wait_escalations"):
        key = wait_key.get(r["wait_id"])
        if key is None:
            continue
        fired[(*key, r["level"])] = _tokyo_day(_moment(r["fired_at"]))
        verdict.rungs_fired[f"{key[1]}/{r['level']}"] += 1
    references = {r["id"]: r["reference"] for r in _rows(conn, "SELECT id, reference FROM proposals")}
    owed: dict[tuple, date] = {}
    for proposal_id, timeline in timelines.items():
        for kind, began, ended in _stays(timeline):
            verdict.waits += 1
            allowance = config["TRIAGE_BUSINESS_DAYS"] if kind == "triage" else \
                config["DEADLINE_APPLICANT_REPLY_BUSINESS_DAYS"]
            due = cal.after(_tokyo_day(began), allowance)
            later = cal.after(due, config["DEADLINE_SECOND_LEVEL_BUSINESS_DAYS"] if kind == "triage"
                              else config["DEADLINE_APPLICANT_DECIDE_BUSINESS_DAYS"])
            first, second = ("overdue", "second") if kind == "triage" else ("reminder", "overdue")
            for sweep in sweeps:
                if sweep < began or (ended is not None and ended <= sweep):
                    continue
                today = _tokyo_day(sweep)
                if today > due:
                    owed.setdefault((proposal_id, kind, began, first), today)
                if today > later:
                    owed.setdefault((proposal_id, kind, began, second), today)
    _compare_rungs(verdict, "wait", owed, fired,
                   lambda key: f"{references.get(key[0])} waiting on the {key[1]} since {_tokyo_day(key[2])}")


# --- each rung once, each proposal held -------------------------------------------------------

def _check_events(conn, verdict: Verdict) -> None:
    """One event per rung: a rung told twice is as wrong as one never told."""
    seen = Counter()
    for r in _rows(conn, "SELECT kind, data FROM events WHERE kind LIKE 'deadline_%' OR kind LIKE '%_wait_%'"):
        data = _json(r["data"])
        key = (r["kind"], data.get("assignment_id"), data.get("wait_id"), data.get("deadline"), data.get("due_on"))
        seen[key] += 1
    for key, count in seen.items():
        if count > 1:
            verdict.add("rung told more than once", f"{key[0]} assignment {key[1]} wait {key[2]} {key[3] or ''} "
                                                    f"due {key[4]}: {count} events")
    rows = _rows(conn, "SELECT count(*) AS n FROM escalations")[0]["n"] + \
        _rows(conn, "SELECT count(*) AS n FROM wait_escalations")[0]["n"]
    if sum(seen.values()) != rows:
        verdict.add("rung told more than once", f"{sum(seen.values())} ladder events for {rows} rungs on record")


def _check_holders(conn, verdict: Verdict) -> None:
    """An open proposal is always with someone: a department's running clock or a wait."""
    for r in _rows(conn, "SELECT p.id, p.reference, p.state FROM proposals p WHERE p.state IN "
                         "('submitted', 'triage', 'assigned', 'info_requested', 'in_consultation')"):
        if r["state"] in RUNNING:
            lead = _rows(conn, "SELECT count(*) AS n FROM assignments WHERE proposal_id = :p AND status = 'active' "
                               "AND role = 'lead'", p=r["id"])[0]["n"]
            if not lead:
                verdict.add("open proposal held by nobody", f"{r['reference']} in {r['state']}: no active lead")
