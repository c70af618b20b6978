"""The routing engine: a pure function from a proposal (the plain data shape
of docs/proposal.md) and a ruleset to a Decision.

evaluate() first reads the proposal (routing.facts: themes from the text with the
words that support them, wards, the primary theme, the bureaus concerned), then
runs the rules in priority order over those facts.
No database, no Flask: routing.store builds RulesetData from the database.
"""

from __future__ import annotations

import math

from routing.compiled import CompiledRules, Run, compile_rules
from routing.conditions import CONDITIONS, PRIORITIES
from routing.facts import (
    TEXT_FIELDS,
    Decision,
    Facts,
    InputError,
    RuleResult,
    RulesetData,
    ranked_themes,
    read_proposal,
)
from routing.reasons import Writer, japanese, reason
from text import cached_columns

# --- rules ------------------------------------------------------------------------------------

def eval_tree(node: dict, facts: Facts, reasons: list[dict]) -> bool:
    """Evaluate a condition tree, appending the reasons of the leaves read."""
    if "all" in node:
        return all(eval_tree(child, facts, reasons) for child in node["all"])
    if "any" in node:
        children = node["any"]
        return any(eval_tree(child, facts, reasons) for child in children) if children else False
    if "not" in node:
        inner: list[dict] = []
        result = not eval_tree(node["not"], facts, inner)
        reasons.append(reason("not", inner=inner, result=result))
        return result
    kind = CONDITIONS.get(node.get("type"))
    if kind is None:
        reasons.append(reason("unknown_condition", code=str(node.get("type"))))
        return False
    result, why = kind.evaluate(facts, node.get("value"))
    reasons.append(why)
    return bool(result)


def _resolve(target: str, facts: Facts, ruleset: RulesetData, lead: str | None) -> list[str]:
    if not target:
        return []
    if target == "@window":
        return [ruleset.window]
    if target == "@primary_owner":
        return [facts.primary_owner] if facts.primary_owner else []
    if target == "@ward":
        return list(facts.wards) if len(facts.wards) == 1 else []
    if target == "@model_lead":
        return [facts.model.lead] if facts.model is not None and facts.model.lead else []
    if target in ("@other_owners", "@supported_owners"):
        owners = facts.co_owners
        if target == "@other_owners":
            owners = [o for o in owners if o != facts.primary_owner]
        return [o for o in owners if o != lead]
    return [target]


def evaluate_many(proposals: list, ruleset: RulesetData) -> list:
    """Decisions for many proposals (the preview, the backtest): the model's
    views are worked out in one batch, which is many times faster than one by
    one. A proposal that is not valid input gives its InputError in its place."""
    if ruleset.model is not None:
        from routing.model import document

        valid = [p for p in proposals if isinstance(p, dict)]
        try:
            # Each text is analysed once: for the model's batch and then for the rules.
            analyses = {id(p): [cached_columns(p.get(n)) for n in TEXT_FIELDS] for p in valid}
            views = ruleset.model.views(valid, [document(p, analyses[id(p)]) for p in valid]) if valid else []
        except (TypeError, ValueError, AttributeError):
            analyses, views = None, None  # some input is malformed: evaluate() reports which, one by one
        ruleset.analyses = analyses
        ruleset.model_views = {id(p): v for p, v in zip(valid, views, strict=True)} if views is not None else None
    try:
        out = []
        for proposal in proposals:
            try:
                out.append(evaluate(proposal, ruleset))
            except InputError as error:
                out.append(error)
        return out
    finally:
        ruleset.model_views = ruleset.analyses = None


def compiled_rules(ruleset: RulesetData) -> CompiledRules:
    """The ruleset's rules compiled (routing.compiled), once: kept on the
    RulesetData until its rules list is replaced (a new version or draft is
    a new RulesetData; the bench and tests assign a new list)."""
    held = ruleset.compiled
    if held is None or held[0] is not ruleset.rules or held[1] != len(ruleset.rules):
        held = ruleset.compiled = (ruleset.rules, len(ruleset.rules), compile_rules(ruleset.rules))
    return held[2]


def evaluate(proposal: dict, ruleset: RulesetData, *, naive: bool = False) -> Decision:
    """The decision for one proposal. naive=True evaluates every rule's tree
    with eval_tree (the reference the compiled rules are tested against)."""
    facts = read_proposal(proposal, ruleset)
    writer = japanese(facts.label)
    state = _State(ruleset.window)
    if naive:
        results = _run_naive(facts, ruleset, writer, state)
    else:
        results = _run_compiled(facts, ruleset, writer, state)
    lead, needs_triage, lead_rule, co = state.lead, state.needs_triage, state.lead_rule, state.co
    if lead is None:
        lead, needs_triage = ruleset.window, True
        lead_rule = None
    co = [c for c in dict.fromkeys(co) if c and c != lead]
    if facts.conflict:
        needs_triage = True
    inferred = [
        {"theme": code, "score": round(score, 2), "words": facts.words.get(code, [])}
        for code, score in ranked_themes(facts.scores, ruleset.themes)
    ]
    return Decision(
        lead=lead, co=co, needs_triage=needs_triage, themes=facts.supported,
        confidence=_confidence(facts, needs_triage), ruleset_version=ruleset.version, rules=results,
        inferred=inferred, primary_theme=facts.primary, picked=facts.picked, wards=facts.wards,
        ward_source=facts.ward_source, conflict=facts.conflict, tags=state.tags, priority=state.priority,
        lead_rule=lead_rule, model_version=facts.model.version if facts.model is not None else None,
        model=facts.model.to_json() if facts.model is not None else None,
        evidence=evidence(facts),
    )


class _State:
    """What the matched rules have decided so far."""

    def __init__(self, window: str):
        self.window = window
        self.lead: str | None = None
        self.lead_rule: dict | None = None
        self.co: list[str] = []
        self.needs_triage = False
        self.tags: list[str] = []
        self.priority = "normal"
        self.stopped_by: str | None = None

    def apply(self, rule, facts: Facts, ruleset: RulesetData) -> list[dict]:
        """Apply a matched rule's actions; what it did, as reasons."""
        applied: list[dict] = []
        for action in rule.actions:
            kind = action.get("type")
            if kind == "set_lead":
                targets = _resolve(action.get("target", ""), facts, ruleset, self.lead)
                if targets:
                    self.lead = targets[0]
                    self.lead_rule = {"id": rule.id, "key": rule.key, "name": rule.name}
                    applied.append(reason("set_lead", dept=self.lead))
            elif kind == "add_co":
                targets = _resolve(action.get("target", ""), facts, ruleset, self.lead)
                for target in targets:
                    if target not in self.co:
                        self.co.append(target)
                if targets:
                    applied.append(reason("add_co", depts=targets))
            elif kind == "require_triage":
                self.needs_triage = True
                applied.append(reason("require_triage"))
            elif kind == "set_priority" and action.get("value") in PRIORITIES:
                self.priority = action["value"]
                applied.append(reason("set_priority", priority=self.priority))
            elif kind == "add_tag" and action.get("value"):
                if action["value"] not in self.tags:
                    self.tags.append(str(action["value"]))
                applied.append(reason("add_tag", tag=str(action["value"])))
        if rule.stop:
            self.stopped_by = rule.name
        return applied


def _run_naive(facts: Facts, ruleset: RulesetData, writer: Writer, state: _State) -> list[RuleResult]:
    results: list[RuleResult] = []
    for rule in sorted(ruleset.rules, key=lambda r: (r.priority, r.id or 0)):
        if state.stopped_by is not None:
            results.append(_result(rule, False, [reason("not_evaluated", rule=state.stopped_by)], [], writer))
            continue
        reasons: list[dict] = []
        matched = eval_tree(rule.condition or {"all": []}, facts, reasons)
        applied = state.apply(rule, facts, ruleset) if matched else []
        if matched and not reasons:
            reasons.append(reason("no_condition"))
        results.append(_result(rule, matched, reasons, applied, writer))
    return results


def _run_compiled(facts: Facts, ruleset: RulesetData, writer: Writer, state: _State) -> list[RuleResult]:
    """The same results as _run_naive, from the compiled rules (routing.compiled)."""
    compiled = compiled_rules(ruleset)
    candidates = compiled.candidates(facts)
    run = Run(facts, writer)
    separator = run.separator
    results: list[RuleResult] = []
    memo, signatures = run.memo, run.signatures
    for position, plan in enumerate(compiled.plans):
        rule, gate = plan.rule, plan.gate
        if gate is not None and position not in candidates:
            # Its first test fails (the index says so): the rule cannot fire, and that test's reason is its result.
            signature = signatures.get(gate[1]) or run.signature(gate)
            results.append(plan.failed.get(signature) or plan.failed_on(signature, memo[gate[1]]))
            continue
        reasons: list[dict] = []
        texts: list[str] = []
        if plan.tree is None:
            matched = eval_tree(rule.condition or {"all": []}, facts, reasons)
            texts = [writer.text(r) for r in reasons]
        else:
            matched = run.tree(plan.tree, reasons, texts)
        applied = state.apply(rule, facts, ruleset) if matched else []
        if matched and not reasons:
            none = reason("no_condition")
            reasons.append(none)
            texts.append(writer.text(none))
        why = separator.join(texts)
        if applied:
            why += " → " + writer.join(applied)
        results.append(RuleResult(rule.id, rule.key, rule.name, matched, why, reasons, applied))
        if state.stopped_by is not None:
            results += compiled.not_evaluated_after(position, writer)
            break
    return results


def _result(rule, matched: bool, reasons: list[dict], applied: list[dict], writer: Writer) -> RuleResult:
    """One rule's result: its reasons as keys and parameters, and once in Japanese (`why`)."""
    why = writer.join(reasons)
    if applied:
        why += " → " + writer.join(applied)
    return RuleResult(rule.id, rule.key, rule.name, matched, why, reasons=reasons, applied=applied)


CONTEXT = 14  # characters shown either side of a supporting word


def evidence(facts: Facts) -> list[dict]:
    """Each dictionary word found, where it stands: the field, its offsets in
    the NFKC-normalised field text, a little text either side, what it supports
    and whether a negation cancelled it. The why-here panel shows these."""
    texts = facts.field_texts
    rows = []
    for hit in facts.hits:
        targets = [e for e in hit.entries if e.theme or e.ward]
        if not targets:
            continue  # a city-wide place name: it only blocks shorter names
        text = texts.get(hit.field, "")
        rows.append({
            "field": hit.field, "start": hit.start, "end": hit.end, "word": hit.surface,
            "before": text[max(0, hit.start - CONTEXT):hit.start], "after": text[hit.end:hit.end + CONTEXT],
            "themes": [e.theme for e in targets if e.theme], "wards": [e.ward for e in targets if e.ward],
            "phrase": targets[0].phrase, "negated": hit.negated,
        })
    return rows[:40]


def _confidence(facts: Facts, needs_triage: bool) -> float:
    score = facts.scores.get(facts.primary, 0.0) if facts.primary else 0.0
    if facts.primary is None:
        theme = 0.1
    elif facts.conflict:
        theme = 0.3
    elif facts.primary_source == "pick+text":
        theme = min(0.97, 0.8 + 0.04 * score)
    elif facts.primary_source == "pick":
        theme = 0.6
    else:  # from the text alone
        ranked = sorted(facts.scores.values(), reverse=True)
        margin = (ranked[0] - ranked[1]) / ranked[0] if len(ranked) > 1 and ranked[0] else 1.0
        theme = min(0.85, 0.4 + 0.1 * math.log2(1 + score) + 0.2 * margin)
        if facts.picked:  # the text overrode the applicant's pick
            theme = min(theme, 0.6)
    place = {"fields": 1.0, "text": 0.85, "none": 0.75 if facts.scope in ("citywide", "multi_ward") else 0.7}
    place_factor = place[facts.ward_source]
    if facts.ward_source == "none" and facts.scope == "citywide":
        place_factor = 1.0
    value = theme * place_factor
    if needs_triage:
        value = min(value, 0.49)
    return round(value, 2)
