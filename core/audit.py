"""Actors and the audit event writer. Every state change names who or what
did it: a user, a rule with its ruleset version, the scheduler, the system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from blinker import Namespace

from core.bulk import insert_rows
from core.columns import utcnow
from core.extensions import db
from core.models import ActorKind, Event, User

# Sent inside the transaction after each event is written: (sender=event, actor=actor,
# changes_proposal=bool). Rooms that react to what happened (e.g. the applicant's emails on their
# public timeline) connect here. changes_proposal is False for events that only record who was told
# (the deadline sweep's rungs, record_events): the proposal itself is as it was (search skips them).
event_recorded = Namespace().signal("event-recorded")


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    user: Optional[User] = None
    label: Optional[str] = None

    @classmethod
    def of_user(cls, user: User) -> "Actor":
        return cls(ActorKind.USER, user=user, label=user.email)

    @classmethod
    def rule(cls, ruleset_version: int, rule_name: str | None = None) -> "Actor":
        label = f"ruleset v{ruleset_version}" + (f" / {rule_name}" if rule_name else "")
        return cls(ActorKind.RULE, label=label)

    @classmethod
    def scheduler(cls, job: str) -> "Actor":
        return cls(ActorKind.SCHEDULER, label=job)

    @classmethod
    def system(cls, what: str = "system") -> "Actor":
        return cls(ActorKind.SYSTEM, label=what)


def record_event(
    actor: Actor,
    kind: str,
    *,
    proposal_id: int | None = None,
    public: bool = False,
    comment: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    department_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one event to the log (flushes, never commits)."""
    event = Event(
        proposal_id=proposal_id,
        kind=kind,
        actor_kind=actor.kind,
        actor_user_id=actor.user.id if actor.user is not None else None,
        actor_label=actor.label,
        department_id=department_id,
        from_state=str(from_state) if from_state is not None else None,
        to_state=str(to_state) if to_state is not None else None,
        public=public,
        comment=comment,
        data=data or {},
    )
    db.session.add(event)
    db.session.flush()
    event_recorded.send(event, actor=actor, changes_proposal=True)
    return event


def record_events(actor: Actor, events: list[dict[str, Any]]) -> int:
    """Append many internal events at once (the deadline sweep's: kind,
    proposal_id, department_id, data) in one executemany. Each is then
    announced by event_recorded as record_event does (the webhooks turn
    deadline rungs into deadline_near/overdue), as an Event built from the
    row written, not loaded again, with changes_proposal=False: these
    events record who was told, the proposal is unchanged."""
    if not events:
        return 0
    if any(event.get("public") for event in events):
        raise ValueError("record_events writes internal events only; use record_event for public ones")
    now = utcnow()
    rows = [{"created_at": now, "proposal_id": event.get("proposal_id"), "kind": event["kind"],
             "actor_kind": actor.kind, "actor_user_id": actor.user.id if actor.user is not None else None,
             "actor_label": actor.label, "department_id": event.get("department_id"), "from_state": None,
             "to_state": None, "public": False, "comment": event.get("comment"), "data": event.get("data") or {}}
            for event in events]
    # One INSERT … RETURNING (core.bulk): the ids in the rows' order.
    ids = [row[0] for row in insert_rows(Event.__table__, rows, returning=["id"])]
    for event_id, row in zip(ids, rows, strict=True):
        event_recorded.send(Event(id=event_id, **row), actor=actor, changes_proposal=False)
    return len(rows)
