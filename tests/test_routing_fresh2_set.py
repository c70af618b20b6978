"""The second sealed routing set (tests/data/routing_fresh2.jsonl) has the
shape docs/routing.md promises: enough rows, known codes, mostly no theme
picked, many real projects, the unclear cases for the window and the ward
offices. Shape only: this file never scores the engine, so nothing here
invites tuning on the set before its one scoring."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from core.models import OrganisationKind
from core.seed import load_yaml
from proposals.models import Scope, Stage

FRESH2 = Path(__file__).parent / "data" / "routing_fresh2.jsonl"
FIELDS = {
    "id", "title", "summary", "issue", "activities", "organisation", "area", "themes", "stage",
    "expected_lead", "expected_co", "expected_triage", "truth_themes", "real", "source", "split",
    "submitted",
}


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [json.loads(line) for line in FRESH2.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def codes() -> tuple[set[str], set[str], set[str]]:
    departments = load_yaml("departments.yaml")
    wards = {d["code"] for d in departments if d["kind"] == "ward"}
    return {d["code"] for d in departments}, wards, {t["code"] for t in load_yaml("themes.yaml")}


def test_enough_rows_with_unique_ids_and_the_fresh2_split(rows):
    assert len(rows) >= 150
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("g") for i in ids)
    assert {r["split"] for r in rows} == {"fresh2"}


def test_every_row_has_the_fields_of_the_format(rows):
    for r in rows:
        assert FIELDS <= set(r), r["id"]
        assert set(r) - FIELDS <= {"note"}, r["id"]
        assert r["title"].strip() and r["summary"].strip(), r["id"]
        assert r["organisation"]["kind"] in {k.value for k in OrganisationKind}, r["id"]
        assert r["area"]["scope"] in {s.value for s in Scope}, r["id"]
        assert r["stage"] in {s.value for s in Stage}, r["id"]
        assert isinstance(r["expected_triage"], bool) and isinstance(r["real"], bool), r["id"]
        assert "2026-12-01" <= r["submitted"] <= "2027-03-31", r["id"]


def test_every_code_is_a_department_or_theme_of_the_seed_data(rows, codes):
    departments, wards, themes = codes
    for r in rows:
        assert r["expected_lead"] in departments, r["id"]
        assert set(r["expected_co"]) <= departments, r["id"]
        assert r["expected_lead"] not in r["expected_co"], r["id"]
        assert set(r["area"]["wards"]) <= wards, r["id"]
        assert set(r["truth_themes"]) <= themes and set(r["themes"]) <= themes, r["id"]


def test_applicants_mostly_pick_no_theme_and_many_rows_are_real(rows):
    assert sum(1 for r in rows if not r["themes"]) >= 130
    real = [r for r in rows if r["real"]]
    assert len(real) >= 60
    assert all(":" in r["source"] for r in real)
    assert all(r["source"] == "written" for r in rows if not r["real"])


def test_the_unclear_cases_are_there(rows):
    """About 18 for the window and 18 for a ward office, each needing triage."""
    unclear = Counter(r["expected_lead"].startswith("ward-") for r in rows
                      if r["expected_triage"] and not r["truth_themes"])
    assert unclear[False] >= 15 and unclear[True] >= 15
