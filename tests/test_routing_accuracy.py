"""Lead accuracy of the default Kawasaki ruleset on labelled, realistic
proposals (expected_lead per docs/routing-policy.md), through the database-backed
ruleset as seeded. routing_labelled.jsonl was used while the dictionary and
thresholds were written; routing_heldout.jsonl was written afterwards and
not tuned against. Both sets name their themes in most rows, so these
figures flatter the engine: the honest measure, on text it has not seen and
against baselines, is tests/test_routing_evaluation.py."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from core.extensions import db
from routing.engine import evaluate
from routing.seed import seed_routing
from routing.store import get_version, ruleset_data

DATA = Path(__file__).resolve().parent / "data"
FLOOR = 0.85


@pytest.mark.parametrize("name, minimum", [("routing_labelled.jsonl", 40), ("routing_heldout.jsonl", 10)])
def test_default_ruleset_lead_accuracy(capsys, name, minimum):
    rows = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= minimum
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
        print(f"\nrouting lead accuracy on {name}: {accuracy:.1%} ({len(rows) - len(misses)}/{len(rows)}), "
              f"{len(by_lead)} different leads")
        for title, expected, got in misses:
            print(f"  miss: {title}: expected {expected}, got {got}")
    assert accuracy >= FLOOR
    assert len(by_lead) >= min(15, len(rows) // 2)  # the sets exercise wards, bureaus and the window
