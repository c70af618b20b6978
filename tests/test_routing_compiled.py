"""The compiled ruleset (routing.compiled: rules sorted once, shared leaves
evaluated once per proposal, rules indexed by the codes their first test
accepts) decides exactly as the naive reading of every condition tree: the
same decisions, reasons, Japanese `why` and order, on the labelled set and on
random rulesets with every condition type, nested all / any / not."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from routing.conditions import CONDITIONS
from routing.defaults import file_ruleset
from routing.engine import compiled_rules, evaluate
from routing.facts import RuleData

ROWS = [json.loads(line) for line in (Path(__file__).parent / "data" / "routing_labelled.jsonl").read_text(
    encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def base():
    return file_ruleset()


def _same(proposal: dict, ruleset) -> None:
    compiled, naive = evaluate(proposal, ruleset), evaluate(proposal, ruleset, naive=True)
    assert compiled.to_json() == naive.to_json()
    assert [r.why for r in compiled.rules] == [r.why for r in naive.rules]


def _value(kind: str, rng: random.Random, ruleset) -> object:
    """A value for a condition type, from the vocabulary a proposal uses (so that some tests pass)."""
    value_kind = CONDITIONS[kind].value_kind
    pools = {
        "themes": list(ruleset.themes), "wards": sorted(ruleset.ward_codes),
        "scopes": ["ward", "multi_ward", "citywide", "undecided"], "org_kinds": ["npo_corp", "company", "volunteer",
                                                                                 "neighbourhood", "school"],
        "stages": ["seed", "established"], "supports": ["funding", "venue", "publicity", "partners"],
        "departments": ["jichi", "kodomo-mirai", "kenko-fukushi", "ward-miyamae"],
        "words": ["子供", "高齢者", "防災", "ごみ", "公園", "スマホ", "ボランティア"],
    }
    if value_kind in pools:
        codes = rng.sample(pools[value_kind], k=min(len(pools[value_kind]), rng.randint(1, 3)))
        return ",".join(codes) if rng.random() < 0.1 else codes  # a comma-separated string is read too
    if value_kind == "range":
        low, high = rng.choice([(None, 1), (1, 1), (2, None), (0, 3), (100000, None), (0.5, None), (None, None)])
        return {k: v for k, v in (("min", low), ("max", high)) if v is not None}
    if value_kind == "bool":
        return rng.random() < 0.5
    return None


def _tree(rng: random.Random, ruleset, depth: int = 0) -> dict:
    roll = rng.random()
    if depth < 3 and roll < 0.35:
        op = rng.choice(["all", "all", "any", "not"])
        if op == "not":
            return {"not": _tree(rng, ruleset, depth + 1)}
        return {op: [_tree(rng, ruleset, depth + 1) for _ in range(rng.randint(0, 3))]}
    kind = rng.choice(sorted(CONDITIONS))
    return {"type": kind, "value": _value(kind, rng, ruleset)}


def _random_rules(rng: random.Random, ruleset, n: int) -> list[RuleData]:
    targets = ["@window", "@primary_owner", "@ward", "@other_owners", "@supported_owners", "@model_lead", "jichi"]
    rules = []
    for k in range(n):
        if rng.random() < 0.5:  # the indexed shape: an `all` whose first test is a code test
            kind = rng.choice(["ward", "picked_theme", "primary_theme", "scope", "stage", "organisation_kind",
                               "support_requested"])
            condition = {"all": [{"type": kind, "value": _value(kind, rng, ruleset)}]
                         + [_tree(rng, ruleset, 1) for _ in range(rng.randint(0, 2))]}
        else:
            condition = _tree(rng, ruleset)
        if rng.random() < 0.02:
            condition = {"all": [{"type": "no_such_test"}]} if rng.random() < 0.5 else {}
        actions = rng.sample([{"type": "set_lead", "target": rng.choice(targets)},
                              {"type": "add_co", "target": rng.choice(targets)}, {"type": "require_triage"},
                              {"type": "set_priority", "value": rng.choice(["high", "low"])},
                              {"type": "add_tag", "value": f"tag-{k % 7}"}], k=rng.randint(1, 3))
        rules.append(RuleData(id=1000 + k, key=f"random-{k}", name=f"random {k}", priority=rng.randint(0, 100),
                              condition=condition, actions=actions, stop=rng.random() < 0.03))
    return rules


def test_the_labelled_set_decides_the_same_compiled_and_naive(base):
    for row in ROWS:
        _same(row, base)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_rulesets_decide_the_same_compiled_and_naive(base, seed):
    rng = random.Random(seed)
    ruleset = file_ruleset()
    ruleset.rules = _random_rules(rng, base, 300) + (list(base.rules) if seed == 3 else [])
    compiled = compiled_rules(ruleset)
    assert compiled.index, "the random rules include indexed ones"
    for row in ROWS:
        _same(row, ruleset)
        # The same text with other codes: other wards, picks, scopes and stages reach other indexed rules.
        other = dict(row, themes=rng.sample(list(base.themes), k=rng.randint(0, 2)),
                     stage=rng.choice(["seed", "established", None]),
                     area={"scope": rng.choice(["ward", "multi_ward", "citywide", None]),
                           "wards": rng.sample(sorted(base.ward_codes), k=rng.randint(0, 2))},
                     support_requested=rng.sample(["funding", "venue", "publicity"], k=rng.randint(0, 2)))
        _same(other, ruleset)


def test_the_compiled_rules_are_kept_until_the_rules_are_replaced(base):
    ruleset = file_ruleset()
    first = compiled_rules(ruleset)
    assert compiled_rules(ruleset) is first
    ruleset.rules = list(ruleset.rules)[:3]
    assert compiled_rules(ruleset) is not first and len(compiled_rules(ruleset).plans) == 3


def test_a_proposal_reaches_only_the_indexed_rules_that_can_fire(base):
    ruleset = file_ruleset()
    wards = sorted(base.ward_codes)
    ruleset.rules = [RuleData(id=k + 1, key=None, name=f"r{k}", priority=k,
                              condition={"all": [{"type": "ward", "value": [wards[k % len(wards)]]}]},
                              actions=[{"type": "add_tag", "value": f"t{k}"}]) for k in range(50)]
    facts_like = evaluate(dict(ROWS[0], area={"scope": "ward", "wards": [wards[0]]}), ruleset)
    compiled = compiled_rules(ruleset)
    assert len(compiled.index) == len(wards)
    assert {r.name for r in facts_like.rules if r.matched} == {f"r{k}" for k in range(0, 50, len(wards))}
