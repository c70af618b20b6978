"""`flask seed`'s demo part (window/seed.py): accounts, a handful of proposals in each state, the public
room's set and two groups. A module of its own, not the package's __init__, so that `flask` start-up, which
imports demo.accounts and demo.simulation_patches for the commands' options, does not load all of it (issue 16)."""

from __future__ import annotations

from demo.accounts import seed_demo_users
from demo.groups import seed_demo_groups
from demo.proposals import seed_demo_proposals
from demo.public import seed_public_demo


def seed_demo() -> dict[str, int]:
    return {"staff": seed_demo_users(), "proposals": seed_demo_proposals(), "public_demo": seed_public_demo(),
            "groups": seed_demo_groups()}
