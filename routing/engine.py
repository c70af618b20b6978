"""The routing engine: a pure function from a proposal (the plain data shape
of docs/proposal.md) and a ruleset to a Decision.

evaluate() first reads the proposal (routing.facts: themes from the text with the
words that support them, wards, the primary theme, the bureaus concerned), then
runs the rules in priority order over those facts.
No database, no Flask: routing.store builds RulesetData from the database.
"""

from __future__ import annotations

import math

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
from routing.reasons import japanese, reason
from text import clean, columns

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
        owners = facts.supported_owners
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
            analyses = {id(p): [columns(clean(p.get(n)), cleaned=True) for n in TEXT_FIELDS] for p in valid}
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


def evaluate(proposal: dict, ruleset: RulesetData) -> Decision:
    facts = read_proposal(proposal, ruleset)
    lead: str | None = None
    lead_rule: dict | None = None
    co: list[str] = []
    needs_triage = False
    tags: list[str] = []
    priority = "normal"
    results: list[RuleResult] = []
    stopped_by: str | None = None
    for rule in ruleset.sorted_rules():
        if stopped_by is not None:
            results.append(_result(rule, False, [reason("not_evaluated", rule=stopped_by)], [], facts))
            continue
        reasons: list[dict] = []
        matched = eval_tree(rule.condition or {"all": []}, facts, reasons)
        applied: list[dict] = []
        if matched:
            for action in rule.actions:
                kind = action.get("type")
                if kind == "set_lead":
                    targets = _resolve(action.get("target", ""), facts, ruleset, lead)
                    if targets:
                        lead = targets[0]
                        lead_rule = {"id": rule.id, "key": rule.key, "name": rule.name}
                        applied.append(reason("set_lead", dept=lead))
                elif kind == "add_co":
                    targets = _resolve(action.get("target", ""), facts, ruleset, lead)
                    for target in targets:
                        if target not in co:
                            co.append(target)
                    if targets:
                        applied.append(reason("add_co", depts=targets))
                elif kind == "require_triage":
                    needs_triage = True
                    applied.append(reason("require_triage"))
                elif kind == "set_priority" and action.get("value") in PRIORITIES:
                    priority = action["value"]
                    applied.append(reason("set_priority", priority=priority))
                elif kind == "add_tag" and action.get("value"):
                    if action["value"] not in tags:
                        tags.append(str(action["value"]))
                    applied.append(reason("add_tag", tag=str(action["value"])))
            if rule.stop:
                stopped_by = rule.name
        if matched and not reasons:
            reasons.append(reason("no_condition"))
        results.append(_result(rule, matched, reasons, applied, facts))
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
        ward_source=facts.ward_source, conflict=facts.conflict, tags=tags, priority=priority, lead_rule=lead_rule,
        model_version=facts.model.version if facts.model is not None else None,
        model=facts.model.to_json() if facts.model is not None else None,
        evidence=evidence(facts),
    )


def _result(rule, matched: bool, reasons: list[dict], applied: list[dict], facts: Facts) -> RuleResult:
    """One rule's result: its reasons as keys and parameters, and once in Japanese (`why`)."""
    writer = japanese(facts.label)
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
