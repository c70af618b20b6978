"""Lead accuracy of the default Kawasaki ruleset on a labelled set of
realistic proposals (tests/data/routing_labelled.jsonl, expected_lead per
ROUTING_POLICY.md). Runs through the database-backed ruleset, as seeded."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from core.extensions import db
from routing.engine import evaluate
from routing.seed import seed_routing
from routing.store import get_version, ruleset_data

LABELLED = Path(__file__).resolve().parent / "data" / "routing_labelled.jsonl"
FLOOR = 0.85


def test_default_ruleset_lead_accuracy(capsys):
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 40
    seed_routing()
    db.session.commit()
    data = ruleset_data(get_version("published"))
    misses, by_lead = [], Counter()
    for row in rows:
        decision = evaluate(row, data)
        by_lead[row["expected_lead"]] += 1
        if decision.lead != row["expected_lead"]:
            misses.append((row["title"], row["expected_lead"], decision.lead))
    accuracy = 1 - len(misses) / len(rows)
    with capsys.disabled():
        print(f"\nrouting lead accuracy: {accuracy:.1%} ({len(rows) - len(misses)}/{len(rows)}), "
              f"{len(by_lead)} different leads")
        for title, expected, got in misses:
            print(f"  miss: {title}: expected {expected}, got {got}")
    assert accuracy >= FLOOR
    assert len(by_lead) >= 15  # the set exercises wards, bureaus and the window
