"""Demo data for `make run` and the browser tests: accounts, a handful of
proposals in each state, the public room's set (catalogue, statistics,
partners) and two groups of proposals. It sits above the rooms and drives their operations."""

from __future__ import annotations

from demo.accounts import seed_demo_users
from demo.groups import seed_demo_groups
from demo.proposals import seed_demo_proposals
from demo.public import seed_public_demo


def seed_demo() -> dict[str, int]:
    return {"staff": seed_demo_users(), "proposals": seed_demo_proposals(), "public_demo": seed_public_demo(),
            "groups": seed_demo_groups()}
