"""The sealed routing sets (tests/data/routing_fresh.jsonl, routing_fresh2.jsonl)
have the shape docs/routing.md promises: enough rows, known codes, mostly no
theme picked, many real projects, the unclear cases for the window and the
ward offices. Shape only: this file never scores the engine, so nothing here
invites tuning on a set before its one scoring."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.models import OrganisationKind
from core.seed import load_yaml
from proposals.models import Scope, Stage

DATA = Path(__file__).parent / "data"
FIELDS = {
    "id", "title", "summary", "issue", "activities", "organisation", "area", "themes", "stage",
    "expected_lead", "expected_co", "expected_triage", "truth_themes", "real", "source", "split",
    "submitted",
}


@dataclass(frozen=True)
class SealedSet:
    file: str
    split: str
    id_prefix: str
    min_rows: int
    dates: tuple[str, str]
    min_no_theme: int
    min_real: int
    min_unclear_each: int  # for the window and for a ward office


SETS = [
    SealedSet("routing_fresh.jsonl", "fresh", "f", 120, ("2026-07-01", "2026-11-30"), 100, 50, 12),
    SealedSet("routing_fresh2.jsonl", "fresh2", "g", 150, ("2026-12-01", "2027-03-31"), 130, 60, 15),
]


@pytest.fixture(scope="module", params=SETS, ids=[s.split for s in SETS])
def sealed(request) -> tuple[SealedSet, list[dict]]:
    spec = request.param
    text = (DATA / spec.file).read_text(encoding="utf-8")
    return spec, [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def codes() -> tuple[set[str], set[str], set[str]]:
    departments = load_yaml("departments.yaml")
    wards = {d["code"] for d in departments if d["kind"] == "ward"}
    return {d["code"] for d in departments}, wards, {t["code"] for t in load_yaml("themes.yaml")}


def test_enough_rows_with_unique_ids_and_the_sets_split(sealed):
    spec, rows = sealed
    assert len(rows) >= spec.min_rows
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith(spec.id_prefix) for i in ids)
    assert {r["split"] for r in rows} == {spec.split}


def test_every_row_has_the_fields_of_the_format(sealed):
    spec, rows = sealed
    first, last = spec.dates
    for r in rows:
        assert FIELDS <= set(r), r["id"]
        assert set(r) - FIELDS <= {"note"}, r["id"]
        assert r["title"].strip() and r["summary"].strip(), r["id"]
        assert r["organisation"]["kind"] in {k.value for k in OrganisationKind}, r["id"]
        assert r["area"]["scope"] in {s.value for s in Scope}, r["id"]
        assert r["stage"] in {s.value for s in Stage}, r["id"]
        assert isinstance(r["expected_triage"], bool) and isinstance(r["real"], bool), r["id"]
        assert first <= r["submitted"] <= last, r["id"]


def test_every_code_is_a_department_or_theme_of_the_seed_data(sealed, codes):
    _, rows = sealed
    departments, wards, themes = codes
    for r in rows:
        assert r["expected_lead"] in departments, r["id"]
        assert set(r["expected_co"]) <= departments, r["id"]
        assert r["expected_lead"] not in r["expected_co"], r["id"]
        assert set(r["area"]["wards"]) <= wards, r["id"]
        assert set(r["truth_themes"]) <= themes and set(r["themes"]) <= themes, r["id"]


def test_applicants_mostly_pick_no_theme_and_many_rows_are_real(sealed):
    spec, rows = sealed
    assert sum(1 for r in rows if not r["themes"]) >= spec.min_no_theme
    real = [r for r in rows if r["real"]]
    assert len(real) >= spec.min_real
    assert all(":" in r["source"] for r in real)
    assert all(r["source"] == "written" for r in rows if not r["real"])


def test_the_unclear_cases_are_there(sealed):
    """Unclear cases for the window and for a ward office, each needing triage."""
    spec, rows = sealed
    unclear = Counter(r["expected_lead"].startswith("ward-") for r in rows
                      if r["expected_triage"] and not r["truth_themes"])
    assert unclear[False] >= spec.min_unclear_each and unclear[True] >= spec.min_unclear_each
