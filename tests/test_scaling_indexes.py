"""The partial indexes the staff pages read are written as SQL text: they must
say what the code they serve says."""

from proposals.models import LIVE_PREDICATE
from responses.clock import PAUSED_STATES, RUNNING_STATES


def test_live_proposals_index_covers_running_and_paused_states():
    # ix_proposals_live serves the inbox's and dashboard's counts: a state missing from it would make
    # PostgreSQL skip the index; one too many only makes it larger.
    listed = {part.strip(" '") for part in LIVE_PREDICATE.removeprefix("state IN (").removesuffix(")").split(",")}
    assert listed == {s.value for s in RUNNING_STATES | PAUSED_STATES}
