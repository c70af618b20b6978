"""The applicant's eight requests, as the form posts them: start a draft
for their organisation, the five steps, the files step, the review."""

from __future__ import annotations

import sys
from pathlib import Path

# The same complete, valid answers as the intake tests submit (one definition of "a valid proposal").
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from intake_helpers import VALID_STEPS as STEPS  # noqa: E402


class Submit:
    """A job for http_load.throughput: each loop submits one proposal."""

    def __init__(self, applicants: list[tuple[int, int]]):
        self.applicants = applicants  # (user id, organisation id), one per client

    def setup(self, client, index: int):
        user_id, organisation_id = self.applicants[index % len(self.applicants)]
        client.get(f"/_bench/signin/{user_id}")
        return organisation_id

    def run(self, client, organisation_id) -> tuple[int, int]:
        status, headers, _ = client.request("POST", "/proposals/new", {"organisation": str(organisation_id)})
        location = headers.get("Location", "")
        if status != 302 or "/step/" not in location:
            return 1, 0
        draft = location.split("/proposals/")[1].split("/")[0]
        requests = 1
        for step in range(1, 6):
            requests += 1
            if client.request("POST", f"/proposals/{draft}/step/{step}", STEPS[step])[0] != 302:
                return requests, 0
        requests += 1
        client.request("POST", f"/proposals/{draft}/step/6", {"action": "next"})
        requests += 1
        status, headers, _ = client.request("POST", f"/proposals/{draft}/review",
                                            {"consent_privacy": "y", "consent_publish": "y"})
        return requests, int(status == 302 and "/submitted" in headers.get("Location", ""))
