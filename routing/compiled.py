"""A ruleset compiled once for evaluation (issue 16: routing with many rules).

compile_rules() turns the rules of a RulesetData into the form the engine
runs, once per ruleset (RulesetData.compiled() keeps it until its rules are
replaced: a new version, a new draft, is a new RulesetData):

- the rules sorted by priority once, not for every proposal;
- each condition tree as nested tuples, every leaf (and every `not`) with a
  key (its type and value as canonical JSON), so that the leaves many rules
  share (区 = 宮前区, 選択テーマ = 子育て …) are evaluated, and their reason
  written out in Japanese, once per proposal (`Run.memo`);
- an index: a rule whose condition is an `all` whose first test is one of
  INDEXED (ward, picked_theme, primary_theme, scope, stage, organisation_kind,
  support_requested) is filed under the codes that test accepts. For a
  proposal, the rules filed under its own codes are the only indexed rules
  that can fire; any other indexed rule fails on its first test, and its
  result is that test's reason (looked up in the memo) with nothing more
  evaluated. Rules that cannot be indexed are evaluated in full;
- results that depend on nothing but the rule and one reason are made once
  and shared between decisions: a rule whose gate fails (by the gate's
  reason, `Plan.failed`) and the rules after a rule that stopped
  (`CompiledRules.tails`). Nothing changes a decision's results once made.

The result is the same as evaluating every tree with routing.engine.eval_tree
(the naive reading kept as the reference; tests/test_routing_compiled.py
compares both on the labelled set and on random rulesets): the same matches,
the same reasons in the same order, the same Japanese `why`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from routing.conditions import CONDITIONS, _codes
from routing.facts import Facts, RuleData, RuleResult
from routing.reasons import SEPARATOR, Writer, reason

ALL, ANY, NOT, LEAF, UNKNOWN = range(5)

# Condition types that are true exactly when one of the proposal's codes (from
# these facts) is among the codes of the condition's value.
INDEXED: dict[str, Callable[[Facts], Any]] = {
    "ward": lambda f: f.wards,
    "picked_theme": lambda f: f.picked,
    "primary_theme": lambda f: (f.primary,),
    "scope": lambda f: (f.scope,),
    "stage": lambda f: (f.stage,),
    "organisation_kind": lambda f: (f.organisation_kind,),
    "support_requested": lambda f: f.support_requested,
}


def _key(node: Any) -> str:
    return json.dumps(node, sort_keys=True, ensure_ascii=False, default=repr)


class NotCompiled(Exception):
    """A condition tree the compiled form does not read (not a well-formed tree)."""


def compile_node(node: Any) -> tuple:
    """A condition tree as nested tuples, read as routing.engine.eval_tree reads it."""
    if not isinstance(node, dict):
        raise NotCompiled
    if "all" in node:
        children = node["all"]
        if not isinstance(children, list):
            raise NotCompiled
        return (ALL, tuple(compile_node(c) for c in children))
    if "any" in node:
        children = node["any"]
        if not isinstance(children, list):
            raise NotCompiled
        return (ANY, tuple(compile_node(c) for c in children))
    if "not" in node:
        return (NOT, "not:" + _key(node["not"]), compile_node(node["not"]))
    kind = CONDITIONS.get(node.get("type"))
    if kind is None:
        return (UNKNOWN, "unknown:" + str(node.get("type")), str(node.get("type")))
    value = node.get("value")
    return (LEAF, f"{kind.name}:{_key(value)}", kind.evaluate, value)


@dataclass
class Plan:
    rule: RuleData
    tree: tuple | None  # None: evaluated by routing.engine.eval_tree (a tree not compiled)
    gate: tuple | None = None  # the indexed first test of an `all`
    # The rule's result when its gate fails, by the gate's reason (Run.signature): the
    # same for every proposal that fails it the same way, so made once and shared.
    failed: dict[str, RuleResult] = field(default_factory=dict)

    def failed_on(self, signature: str, found: tuple[bool, dict, str]) -> RuleResult:
        result = self.failed.get(signature)
        if result is None:
            if len(self.failed) >= FAILED_KEPT:
                self.failed.clear()
            rule = self.rule
            result = self.failed[signature] = RuleResult(rule.id, rule.key, rule.name, False, found[2], [found[1]], [])
        return result


FAILED_KEPT = 64  # results kept for each rule (proposals' ward lists, picks … vary)


@dataclass
class CompiledRules:
    plans: list[Plan]
    # (condition type, code) → positions in `plans` of the rules whose gate accepts that code.
    index: dict[tuple[str, str], list[int]]
    indexed_types: tuple[str, ...]
    # Position of a rule that stopped → the results of the rules after it ("not
    # evaluated"), which depend on nothing else: made once, shared by decisions.
    tails: dict[int, list[RuleResult]] = field(default_factory=dict)

    def not_evaluated_after(self, position: int, writer: Writer) -> list[RuleResult]:
        """The results of the rules after the one at `position`, which stopped
        the evaluation (the Japanese writer's text of them names only that rule)."""
        tail = self.tails.get(position)
        if tail is None:
            why = reason("not_evaluated", rule=self.plans[position].rule.name)
            text = writer.text(why)
            tail = self.tails[position] = [RuleResult(p.rule.id, p.rule.key, p.rule.name, False, text, [why], [])
                                           for p in self.plans[position + 1:]]
        return tail

    def candidates(self, facts: Facts) -> set[int]:
        """Positions of the indexed rules whose first test the proposal passes."""
        found: set[int] = set()
        index = self.index
        for kind in self.indexed_types:
            for code in INDEXED[kind](facts):
                if isinstance(code, str):
                    found.update(index.get((kind, code), ()))
        return found


def compile_rules(rules: list[RuleData]) -> CompiledRules:
    plans: list[Plan] = []
    index: dict[tuple[str, str], list[int]] = {}
    for position, rule in enumerate(sorted(rules, key=lambda r: (r.priority, r.id or 0))):
        try:
            tree = compile_node(rule.condition or {"all": []})
        except (NotCompiled, TypeError, ValueError, RecursionError):
            plans.append(Plan(rule, None))
            continue
        plan = Plan(rule, tree)
        if tree[0] == ALL and tree[1] and tree[1][0][0] == LEAF:
            first = tree[1][0]
            kind = first[1].split(":", 1)[0]
            if kind in INDEXED:
                try:
                    codes = set(_codes(first[3]))
                except (TypeError, AttributeError):
                    codes = None
                if codes is not None:
                    plan.gate = first
                    for code in codes:
                        index.setdefault((kind, code), []).append(position)
        plans.append(plan)
    kinds = tuple(sorted({kind for kind, _code in index}))
    return CompiledRules(plans, index, kinds)


class Run:
    """Evaluating compiled trees for one proposal: each leaf and `not` once,
    with its reason and that reason in Japanese."""

    def __init__(self, facts: Facts, writer: Writer):
        self.facts, self.writer = facts, writer
        self.memo: dict[str, tuple[bool, dict, str]] = {}
        self.signatures: dict[str, str] = {}
        self.separator = writer.translate(SEPARATOR)

    def tree(self, node: tuple, reasons: list[dict], texts: list[str]) -> bool:
        op = node[0]
        if op == ALL:
            for child in node[1]:
                if not self.tree(child, reasons, texts):
                    return False
            return True
        if op == ANY:
            for child in node[1]:
                if self.tree(child, reasons, texts):
                    return True
            return False
        found = self.memo.get(node[1]) or self.leaf(node)
        result, why, text = found
        reasons.append(why)
        texts.append(text)
        return result

    def signature(self, node: tuple) -> str:
        """A leaf's reason and its Japanese text as one string: what a rule failing on it reports."""
        found = self.memo.get(node[1]) or self.leaf(node)
        signature = self.signatures[node[1]] = found[2] + "\n" + _key(found[1])
        return signature

    def leaf(self, node: tuple) -> tuple[bool, dict, str]:
        """A leaf's or a `not`'s (result, reason, reason in Japanese), kept in the memo."""
        found = self.memo[node[1]] = self._leaf(node)
        return found

    def _leaf(self, node: tuple) -> tuple[bool, dict, str]:
        op = node[0]
        if op == LEAF:
            result, why = node[2](self.facts, node[3])
            result = bool(result)
        elif op == NOT:
            inner: list[dict] = []
            result = not self.tree(node[2], inner, [])
            why = reason("not", inner=inner, result=result)
        else:
            result, why = False, reason("unknown_condition", code=node[2])
        return result, why, self.writer.text(why)
