"""The routing engine: a pure function from a proposal (the plain data shape
of shared reference/proposal.md) and a ruleset to a Decision.

evaluate() first reads the proposal (themes from the text with the words that
support them, wards from the fields or the text, the primary theme, the
bureaus concerned), then runs the rules in priority order over those facts.
No database, no Flask: routing.store builds RulesetData from the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from routing.conditions import CONDITIONS, PRIORITIES
from routing.text import Entry, Hit, Matcher
from text import clean, columns

TEXT_FIELDS = ("title", "summary", "issue", "activities")
# The title says what the proposal is about in a few words: its words count more.
FIELD_WEIGHT = {"title": 1.5}
# Text support needed for a theme: `SUPPORTED` to count, `CLEAR` to route on
# the text alone, `DOMINANT` to override the applicant's pick.
SUPPORTED = 2.0
CLEAR = 2.0
DOMINANT = 5.0
# An unpicked theme joins the supported themes (co-departments) only with strong support.
STRONG = 4.0
# … and at least this share of the best theme's score, so long texts do not
# collect bureaus from passing mentions.
RELATIVE = 0.5


@dataclass(frozen=True)
class ThemeInfo:
    code: str
    owner: str | None
    ward_level: bool
    position: int = 0


@dataclass(frozen=True)
class RuleData:
    id: int | None
    name: str
    priority: int
    condition: dict
    actions: list
    stop: bool = False
    key: str | None = None


@dataclass
class RulesetData:
    version: int | None
    rules: list[RuleData]
    themes: dict[str, ThemeInfo]
    matcher: Matcher
    window: str = "jichi"
    ward_codes: frozenset[str] = frozenset()
    status: str = "published"
    # Names of themes and departments, for the reasons shown to staff.
    labels: dict[str, str] = field(default_factory=dict)
    # The learned model (routing.model.RoutingModel) consulted for its view, or None.
    model: Any = None
    field_weight: dict[str, float] = field(default_factory=lambda: dict(FIELD_WEIGHT))
    model_views: dict[int, Any] | None = None  # set by evaluate_many() for the batch it runs
    analyses: dict[int, list] | None = None  # … and the text analysis of each proposal in it

    def sorted_rules(self) -> list[RuleData]:
        return sorted(self.rules, key=lambda r: (r.priority, r.id or 0))


class InputError(ValueError):
    """The proposal data is not in the expected shape."""


@dataclass
class Facts:
    text: str  # the normalised forms of the text's tokens, space-separated
    picked: list[str]
    picked_other: bool
    scores: dict[str, float]
    words: dict[str, list[str]]
    wards: list[str]
    ward_source: str
    scope: str | None
    stage: str | None
    organisation_kind: str | None
    support_requested: list[str]
    budget_requested: int | None
    primary: str | None
    primary_source: str
    conflict: bool
    conflict_theme: str | None
    supported: list[str]
    themes: dict[str, ThemeInfo]
    labels: dict[str, str] = field(default_factory=dict)
    # Every dictionary hit (negated ones included) with where it stands, and the token keys read.
    hits: list[Hit] = field(default_factory=list)
    token_keys: list[str] = field(default_factory=list)
    field_texts: dict[str, str] = field(default_factory=dict)  # each field as read (clean())
    # The learned model's view (routing.model.ModelView), when a model is loaded.
    model: Any = None

    def label(self, code: str | None) -> str:
        return self.labels.get(code, code) if code else ""

    def theme_info(self, code: str | None) -> ThemeInfo | None:
        return self.themes.get(code) if code else None

    @property
    def primary_owner(self) -> str | None:
        info = self.theme_info(self.primary)
        return info.owner if info else None

    @property
    def supported_owners(self) -> list[str]:
        owners: list[str] = []
        for code in self.supported:
            info = self.themes.get(code)
            if info and info.owner and info.owner not in owners:
                owners.append(info.owner)
        return owners


@dataclass
class RuleResult:
    id: int | None
    key: str | None
    name: str
    matched: bool
    why: str

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "matched": self.matched, "why": self.why}


@dataclass
class Decision:
    lead: str | None
    co: list[str]
    needs_triage: bool
    themes: list[str]
    confidence: float
    ruleset_version: int | None
    rules: list[RuleResult]
    inferred: list[dict] = field(default_factory=list)
    primary_theme: str | None = None
    picked: list[str] = field(default_factory=list)
    wards: list[str] = field(default_factory=list)
    ward_source: str = "none"
    conflict: bool = False
    tags: list[str] = field(default_factory=list)
    priority: str = "normal"
    lead_rule: dict | None = None
    model_version: int | None = None
    model: dict | None = None  # the learned model's view (routing.model.ModelView.to_json())
    evidence: list[dict] = field(default_factory=list)  # each supporting word where it stands

    def to_json(self) -> dict[str, Any]:
        """The shape of shared reference/proposal.md, plus the reading of the text."""
        return {
            "lead": self.lead,
            "co": self.co,
            "needs_triage": self.needs_triage,
            "themes": self.themes,
            "confidence": self.confidence,
            "ruleset_version": self.ruleset_version,
            "rules": [r.to_json() for r in self.rules],
            "inferred": self.inferred,
            "primary_theme": self.primary_theme,
            "wards": self.wards,
            "ward_source": self.ward_source,
            "conflict": self.conflict,
            "tags": self.tags,
            "priority": self.priority,
            "lead_rule": self.lead_rule,
            "model_version": self.model_version,
            "model": self.model,
            "evidence": self.evidence,
        }


# --- reading the proposal ------------------------------------------------------------------

def _as_list(value, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if not isinstance(value, list):
        raise InputError(f"{name} must be a list")
    return [str(v) for v in value if v not in (None, "")]


def _as_dict(value, name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{name} must be an object")
    return value


def read_proposal(data: dict, ruleset: RulesetData) -> Facts:
    if not isinstance(data, dict):
        raise InputError("a proposal is a JSON object")
    for name in TEXT_FIELDS:
        if data.get(name) is not None and not isinstance(data.get(name), str):
            raise InputError(f"{name} must be a string")
    area = _as_dict(data.get("area"), "area")
    organisation = _as_dict(data.get("organisation"), "organisation")
    budget = _as_dict(data.get("budget"), "budget")
    raw_picks = _as_list(data.get("themes"), "themes")[:3]
    picked = [t for t in raw_picks if t in ruleset.themes and ruleset.themes[t].owner]
    picked_other = bool(raw_picks) and not picked

    scores: dict[str, float] = {}
    words: dict[str, list[str]] = {}
    text_wards: list[str] = []
    hits: list[Hit] = []
    token_keys: list[str] = []
    analysed = []
    ready = ruleset.analyses.get(id(data)) if ruleset.analyses is not None else None
    for i, name in enumerate(TEXT_FIELDS):
        if ready is not None:
            cols = ready[i]
            found = ruleset.matcher.scan_columns(name, cols)
        else:
            found, cols = ruleset.matcher.scan(name, data.get(name))
        hits += found
        analysed.append(cols)
        token_keys += cols.keys + ["\n"]  # a field ends: no phrase spans two fields
    for hit in hits:
        if hit.negated:
            continue  # 高齢者向けではありません gives elderly welfare no support
        for entry in hit.entries:
            if entry.theme and entry.theme in ruleset.themes:
                scores[entry.theme] = scores.get(entry.theme, 0.0) + entry.weight * ruleset.field_weight.get(hit.field, 1.0)
                found = words.setdefault(entry.theme, [])
                if entry.phrase not in found:
                    found.append(entry.phrase)
            elif entry.ward and entry.ward not in text_wards:
                text_wards.append(entry.ward)

    scope = area.get("scope") or None
    field_wards = [w for w in _as_list(area.get("wards"), "area.wards") if not ruleset.ward_codes or w in ruleset.ward_codes]
    if field_wards:
        wards, ward_source = list(dict.fromkeys(field_wards)), "fields"
    elif text_wards and scope not in ("citywide",):
        wards, ward_source = text_wards, "text"
    else:
        wards, ward_source = [], "none"

    primary, source, conflict, conflict_theme = _primary_theme(picked, scores, ruleset.themes)
    supported = _supported(primary, picked, scores, words, conflict_theme)
    requested = budget.get("requested_yen")
    try:
        requested = int(requested) if requested not in (None, "") else None
    except (TypeError, ValueError) as error:
        raise InputError("budget.requested_yen must be a number") from error
    return Facts(
        text=" ".join(token_keys), picked=picked, picked_other=picked_other, scores=scores, words=words,
        wards=wards, ward_source=ward_source, scope=scope, stage=data.get("stage") or None,
        organisation_kind=organisation.get("kind") or None,
        support_requested=_as_list(data.get("support_requested"), "support_requested"),
        budget_requested=requested, primary=primary, primary_source=source, conflict=conflict,
        conflict_theme=conflict_theme, supported=supported, themes=ruleset.themes, labels=ruleset.labels,
        hits=hits, token_keys=token_keys, field_texts={n: c.text for n, c in zip(TEXT_FIELDS, analysed, strict=True)},
        model=_model_view(ruleset, data, analysed),
    )


def _model_view(ruleset: RulesetData, data: dict, analysed: list):
    if ruleset.model is None:
        return None
    views = ruleset.model_views
    if views is not None and id(data) in views:  # evaluate_many() worked them out in one batch
        return views[id(data)]
    return ruleset.model.view(data, analysed)


def _ranked(scores: dict[str, float], themes: dict[str, ThemeInfo]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda kv: (-kv[1], themes[kv[0]].position if kv[0] in themes else 0))


def _primary_theme(picked, scores, themes):
    """ROUTING_POLICY.md decision 1. Returns (primary, source, conflict, other).

    A theme no bureau owns (an administrator's new field, owner empty) can be
    the primary theme when the text supports it: decision 6 then sends a
    seed-stage idea to the window. A picked unowned theme (`other` and the
    like) is only a hint that the applicant does not know: the text decides."""
    ranked = [(t, s) for t, s in _ranked(scores, themes) if themes.get(t)]
    top, top_score = ranked[0] if ranked else (None, 0.0)
    if picked:
        first = picked[0]
        if scores.get(first, 0) > 0:
            return first, "pick+text", False, None
        backed = [t for t in picked[1:] if scores.get(t, 0) >= SUPPORTED]
        if backed:
            return max(backed, key=lambda t: scores[t]), "pick+text", False, None
        if top is None or top_score < CLEAR or themes[top].owner == themes[first].owner:
            return first, "pick", False, None  # the text says nothing against the pick
        if top_score >= DOMINANT:
            return top, "text", False, first  # the text clearly dominates a contradicted pick
        return first, "pick", True, top  # they disagree and neither dominates
    if top is None or top_score < CLEAR:
        return None, "none", False, None
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    runner_owner = themes[ranked[1][0]].owner if len(ranked) > 1 else None
    if runner >= top_score and runner_owner != themes[top].owner:
        return None, "none", False, None  # a tie between bureaus is no clear signal
    return top, "text", False, None


def _supported(primary, picked, scores, words, conflict_theme) -> list[str]:
    supported: list[str] = [primary] if primary else []
    text_silent = not any(s >= SUPPORTED for s in scores.values())
    for code in picked:
        if code not in supported and (scores.get(code, 0) > 0 or text_silent):
            supported.append(code)
    top = max(scores.values(), default=0.0)
    for code, score in sorted(scores.items(), key=lambda kv: -kv[1]):
        strong = score >= STRONG and score >= RELATIVE * top and len(words.get(code, ())) >= 2
        if code not in supported and code != conflict_theme and strong:
            supported.append(code)
    return supported[:4]


# --- rules ------------------------------------------------------------------------------------

def eval_tree(node: dict, facts: Facts, reasons: list[str]) -> bool:
    """Evaluate a condition tree, appending the reasons of the leaves read."""
    if "all" in node:
        return all(eval_tree(child, facts, reasons) for child in node["all"])
    if "any" in node:
        children = node["any"]
        return any(eval_tree(child, facts, reasons) for child in children) if children else False
    if "not" in node:
        inner: list[str] = []
        result = not eval_tree(node["not"], facts, inner)
        detail = "、".join(inner)
        reasons.append(f"否定（{detail}）→ " + ("成立" if result else "不成立"))
        return result
    kind = CONDITIONS.get(node.get("type"))
    if kind is None:
        reasons.append(f"不明な条件 {node.get('type')}")
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
            results.append(RuleResult(rule.id, rule.key, rule.name, False, f"「{stopped_by}」で判定終了のため未評価"))
            continue
        reasons: list[str] = []
        matched = eval_tree(rule.condition or {"all": []}, facts, reasons)
        applied: list[str] = []
        if matched:
            for action in rule.actions:
                kind = action.get("type")
                if kind == "set_lead":
                    targets = _resolve(action.get("target", ""), facts, ruleset, lead)
                    if targets:
                        lead = targets[0]
                        lead_rule = {"id": rule.id, "key": rule.key, "name": rule.name}
                        applied.append(f"主担当 {facts.label(lead)}")
                elif kind == "add_co":
                    targets = _resolve(action.get("target", ""), facts, ruleset, lead)
                    for target in targets:
                        if target not in co:
                            co.append(target)
                    if targets:
                        applied.append("関係 " + "、".join(facts.label(t) for t in targets))
                elif kind == "require_triage":
                    needs_triage = True
                    applied.append("要確認")
                elif kind == "set_priority" and action.get("value") in PRIORITIES:
                    priority = action["value"]
                    applied.append(f"優先度 {priority}")
                elif kind == "add_tag" and action.get("value"):
                    if action["value"] not in tags:
                        tags.append(str(action["value"]))
                    applied.append(f"タグ {action['value']}")
            if rule.stop:
                stopped_by = rule.name
        why = "、".join(reasons) or ("条件なし" if matched else "")
        if applied:
            why += " → " + "、".join(applied)
        results.append(RuleResult(rule.id, rule.key, rule.name, matched, why))
    if lead is None:
        lead, needs_triage = ruleset.window, True
        lead_rule = None
    co = [c for c in dict.fromkeys(co) if c and c != lead]
    if facts.conflict:
        needs_triage = True
    inferred = [
        {"theme": code, "score": round(score, 2), "words": facts.words.get(code, [])}
        for code, score in _ranked(facts.scores, ruleset.themes)
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


def matcher_from(theme_words: dict[str, list[tuple[str, float]]], places: dict[str | None, list[str]]) -> Matcher:
    """A matcher from plain dictionaries (theme -> [(phrase, weight)], ward -> [names])."""
    entries = [Entry(p, theme=t, weight=w) for t, pairs in theme_words.items() for p, w in pairs]
    entries += [Entry(p, ward=w) for w, names in places.items() for p in names]
    return Matcher(entries)
