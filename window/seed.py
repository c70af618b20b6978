"""`flask seed`: the kernel's reference data, the routing room's dictionary
and default ruleset, then (unless --no-demo) the demo. Safe to run twice."""

from __future__ import annotations

from core.extensions import db
from core.seed import seed_reference
from demo.seed import seed_demo
from routing.seed import seed_routing


def seed_all(with_demo: bool = True) -> dict[str, int]:
    result = seed_reference()
    routing = seed_routing()  # before the demo's proposals, which the engine routes
    if with_demo:
        result.update(seed_demo())
    result.update(routing)
    db.session.commit()
    return result
